import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { MineService } from './mine-service.js';
import { MAX_MINE_ENTRIES, MineStore } from './mine-store.js';

function fakeRegistry(grains: Record<string, Record<string, unknown>>) {
  return {
    get: (id: string) => (grains[id] ? { id, grains: grains[id], connected: true, lastSeen: 0 } : undefined),
    select: (match: (m: { id: string; grains: Record<string, unknown> }) => boolean) =>
      Object.keys(grains)
        .filter((id) => match({ id, grains: grains[id]! }))
        .sort(),
  };
}

describe('MineService', () => {
  const grains = { web1: { role: 'web' }, web2: { role: 'web' }, lb1: { role: 'lb' }, db1: { role: 'db' } };
  function mine(access: { minions: string; read: string }[] = []) {
    const store = new MineStore(join(mkdtempSync(join(tmpdir(), 'mine-')), 'mine.json'));
    return new MineService({ store, registry: fakeRegistry(grains) as never, targetOptions: {}, access });
  }
  const req = (body: Partial<Frame<'mine.request'>>): Frame<'mine.request'> =>
    ({ v: 1, type: 'mine.request', reqId: 1, op: 'get', ...body }) as Frame<'mine.request'>;

  it('files writes under the sender and lets every minion read every entry by default', () => {
    const m = mine();
    for (const id of ['web1', 'web2', 'db1']) m.handle(id, req({ op: 'update', data: { ip: `${id}-ip` } }));
    expect(m.handle('lb1', req({ tgt: 'web*', fun: 'ip' }))).toEqual({
      ok: true,
      data: { web1: 'web1-ip', web2: 'web2-ip' },
    });
    m.handle('web2', req({ op: 'delete', fun: 'ip' }));
    expect(m.handle('lb1', req({ tgt: '*', fun: 'ip', tgtType: 'glob' }))).toEqual({
      ok: true,
      data: { web1: 'web1-ip', db1: 'db1-ip' },
    });
  });

  it('limits reads with mine_access rules', () => {
    const m = mine([{ minions: 'G@role:lb', read: 'G@role:web' }]);
    for (const id of ['web1', 'db1']) m.handle(id, req({ op: 'update', data: { ip: id } }));
    expect(m.handle('lb1', req({ tgt: '*', fun: 'ip' }))).toEqual({ ok: true, data: { web1: 'web1' } });
    expect(m.handle('db1', req({ tgt: '*', fun: 'ip' }))).toEqual({ ok: true, data: {} });
  });

  it('refuses a bad target and a bad rule', () => {
    expect(mine().handle('lb1', req({ tgt: 'E@(', tgtType: 'compound', fun: 'ip' }))).toMatchObject({
      ok: false,
      error: { code: 'ERR_MINE_REQUEST' },
    });
    expect(() => mine([{ minions: '(', read: '*' }])).toThrow(/mine_access\[0\]\.minions/);
  });
});

describe('MineStore', () => {
  it('keeps entries across a restart once flushed, and caps the entries of one minion', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mine-')), 'mine.json');
    const store = new MineStore(file);
    expect(store.update('web1', { ip: '10.0.0.1' })).toBe(true);
    store.flush();
    expect(new MineStore(file).read('web1', 'ip')).toBe('10.0.0.1');
    const many = Object.fromEntries(Array.from({ length: MAX_MINE_ENTRIES + 1 }, (_, i) => [`f${i}`, i]));
    expect(store.update('web1', many, true)).toBe(false);
    expect(store.read('web1', 'ip')).toBe('10.0.0.1');
  });
});
