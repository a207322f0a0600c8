import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GRAINS_JOURNAL, MinionCache } from './minion-cache.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'brine-cache-'));
  dirs.push(d);
  return d;
}
const lines = (dir: string) => readFileSync(join(dir, GRAINS_JOURNAL), 'utf8').trim().split('\n');

describe('MinionCache', () => {
  it('appends the changes of a second in one write and reads them back after a restart', async () => {
    const dir = freshDir();
    const cache = new MinionCache(dir);
    cache.load();
    cache.save('web1', { os: 'Debian' }, 1);
    cache.save('web2', { os: 'Alpine' }, 2);
    cache.save('web1', { os: 'Debian', role: 'web' }, 3);
    await cache.flush();
    expect(lines(dir)).toHaveLength(2);
    expect(new MinionCache(dir).load()).toEqual([
      { id: 'web1', grains: { os: 'Debian', role: 'web' }, lastSeen: 3 },
      { id: 'web2', grains: { os: 'Alpine' }, lastSeen: 2 },
    ]);
  });

  it('writes nothing for grains that did not change, also across a restart', async () => {
    const dir = freshDir();
    const a = new MinionCache(dir);
    a.load();
    a.save('web1', { os: 'Debian' }, 1);
    await a.flush();
    const b = new MinionCache(dir);
    b.load();
    b.save('web1', { os: 'Debian' }, 5);
    await b.flush();
    expect(lines(dir)).toHaveLength(1);
  });

  it('the last line for an id wins; a removal survives a restart; load compacts the journal', async () => {
    const dir = freshDir();
    const cache = new MinionCache(dir);
    cache.load();
    cache.save('web1', { v: 1 }, 1);
    await cache.flush();
    cache.save('web1', { v: 2 }, 2);
    cache.save('gone', { v: 1 }, 2);
    await cache.flush();
    cache.remove('gone');
    cache.flushSync();
    expect(lines(dir)).toHaveLength(4);
    expect(new MinionCache(dir).load()).toEqual([{ id: 'web1', grains: { v: 2 }, lastSeen: 2 }]);
    expect(lines(dir)).toHaveLength(1);
  });

  it('skips torn, malformed and hostile lines', () => {
    const dir = freshDir();
    new MinionCache(dir).load();
    appendFileSync(
      join(dir, GRAINS_JOURNAL),
      [
        '{"id":"ok","grains":{"a":1},"lastSeen":1}',
        '{"id":"../etc","grains":{}}',
        '{"id":"arr","grains":[1]}',
        'not json',
        '{"id":"torn","grains":{"a"',
      ].join('\n'),
    );
    expect(new MinionCache(dir).load()).toEqual([{ id: 'ok', grains: { a: 1 }, lastSeen: 1 }]);
  });
});
