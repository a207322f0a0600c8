import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encryptPillarValue, loadOrCreateAgeKeys, type AgeKeys } from './age-secrets.js';
import { PillarCompiler, type PillarCompilerOptions } from './compile-pillar.js';
import { fileTreePillar } from './external-pillar.js';
import { PillarFiles, stampsChanged } from './pillar-files.js';

let dir: string;
let keys: AgeKeys;

function write(path: string, text: string): void {
  const file = join(dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function compiler(extra: Partial<PillarCompilerOptions> = {}): PillarCompiler {
  return new PillarCompiler({
    files: new PillarFiles({ base: [join(dir, 'pillar')], dev: [join(dir, 'dev')] }),
    external: [],
    keys,
    strategy: 'smart',
    mergeLists: false,
    targetOptions: {},
    ...extra,
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pillar-'));
  keys = (await loadOrCreateAgeKeys(join(dir, 'state', 'age.key')))!;
  write(
    'pillar/top.sls',
    `base:
  '*':
    - common
  'web*':
    - web
  'os:Debian':
    - match: grain
    - debian
`,
  );
  write('pillar/common.sls', "role: none\nusers: [root]\nowner: '{{ grains.id }}'\n");
  write('pillar/web/init.sls', 'include:\n  - .ports\nrole: web\nusers: [www]\n');
  write('pillar/web/ports.sls', 'ports: [80]\nrole: overridden-by-includer\n');
  write('pillar/debian.sls', "pkg: '{{ grains.os }}-apt'\n");
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('PillarCompiler', () => {
  it('assigns SLS by glob and grain and merges them in top order, the includer winning', async () => {
    const r = await compiler().compile({ id: 'web1', grains: { os: 'Debian' } });
    expect(r).toMatchObject({
      ok: true,
      pillar: { role: 'web', users: ['www'], ports: [80], owner: 'web1', pkg: 'Debian-apt' },
    });
  });

  it('forces grains.id to the authenticated id, so a minion cannot claim another pillar', async () => {
    const r = await compiler().compile({ id: 'db1', grains: { id: 'web1' } });
    expect(r).toMatchObject({ ok: true, pillar: { owner: 'db1', role: 'none' } });
  });

  it('concatenates lists with pillar_merge_lists', async () => {
    const r = await compiler({ mergeLists: true }).compile({ id: 'web1', grains: {} });
    expect(r.ok && r.pillar['users']).toEqual(['root', 'www']);
  });

  it('replaces top-level keys whole with the overwrite strategy', async () => {
    write('pillar/common.sls', 'app: {a: 1, b: 2}\n');
    write('pillar/web/init.sls', 'app: {c: 3}\n');
    expect(await compiler({ strategy: 'overwrite' }).compile({ id: 'web1', grains: {} })).toMatchObject({
      ok: true,
      pillar: { app: { c: 3 } },
    });
    expect(await compiler({ strategy: 'recurse' }).compile({ id: 'web1', grains: {} })).toMatchObject({
      ok: true,
      pillar: { app: { a: 1, b: 2, c: 3 } },
    });
  });

  it('fails with file:line for a YAML error, only for the minions that get that file', async () => {
    write('pillar/web/ports.sls', 'ports: [80\nbad: : :\n');
    const web = await compiler().compile({ id: 'web1', grains: {} });
    expect(web.ok).toBe(false);
    expect(!web.ok && web.error.code).toBe('ERR_PILLAR_COMPILE');
    expect(!web.ok && web.error.message).toMatch(/web\/ports\.sls:\d+/);
    expect((await compiler().compile({ id: 'db1', grains: {} })).ok).toBe(true);
  });

  it('fails with file:line for a Jinja error', async () => {
    write('pillar/debian.sls', "a: 1\npkg: '{{ nosuch.key }}'\n");
    const r = await compiler().compile({ id: 'db1', grains: { os: 'Debian' } });
    expect(!r.ok && r.error.message).toMatch(/debian\.sls:2/);
  });

  it('decrypts an age value for its minion and says when the key is missing', async () => {
    write('pillar/web/ports.sls', `#!yaml|age\ndb_password: ${await encryptPillarValue(keys.recipient, 'hunter2')}\n`);
    expect(await compiler().compile({ id: 'web1', grains: {} })).toMatchObject({
      ok: true,
      pillar: { db_password: 'hunter2' },
    });
    const r = await compiler({ keys: undefined }).compile({ id: 'web1', grains: {} });
    expect(r).toMatchObject({ ok: false, error: { code: 'ERR_PILLAR_DECRYPT' } });
    expect(!r.ok && r.error.message).toContain('web/ports.sls, key db_password');
    expect(!r.ok && r.error.message).not.toContain('hunter2');
  });

  it('refuses a value encrypted for another recipient', async () => {
    const other = (await loadOrCreateAgeKeys(join(dir, 'other', 'age.key')))!;
    write('pillar/debian.sls', `pw: ${await encryptPillarValue(other.recipient, 'x')}\n`);
    const r = await compiler().compile({ id: 'db1', grains: { os: 'Debian' } });
    expect(r).toMatchObject({ ok: false, error: { code: 'ERR_PILLAR_DECRYPT' } });
  });

  it('merges the file_tree source after pillar_roots, for that minion only', async () => {
    write('tree/web1.yaml', 'role: from-tree\nextra: 1\n');
    write('tree/web2/a.json', '{"extra": 2}');
    const c = compiler({ external: [fileTreePillar(join(dir, 'tree'))] });
    expect(await c.compile({ id: 'web1', grains: {} })).toMatchObject({
      ok: true,
      pillar: { role: 'from-tree', extra: 1 },
    });
    expect(await c.compile({ id: 'web2', grains: {} })).toMatchObject({ ok: true, pillar: { role: 'web', extra: 2 } });
  });

  it('stamps what it read, so a changed or new file is seen', async () => {
    const r = await compiler().compile({ id: 'web1', grains: {} });
    expect(await stampsChanged(r.stamps)).toBe(false);
    write('pillar/web/init.sls', 'role: changed, longer\n');
    expect(await stampsChanged(r.stamps)).toBe(true);
  });

  it('compiles only the requested saltenv section with the none strategy', async () => {
    write('dev/top.sls', "dev:\n  '*':\n    - devonly\n");
    write('dev/devonly.sls', 'dev: true\n');
    expect(await compiler().compile({ id: 'x', grains: {} })).toMatchObject({
      ok: true,
      pillar: { dev: true, role: 'none' },
    });
    const none = await compiler({ strategy: 'none' }).compile({ id: 'x', grains: {} }, 'dev');
    expect(none).toMatchObject({ ok: true, pillar: { dev: true } });
    expect(none.ok && none.pillar['role']).toBeUndefined();
  });

  it('reads the mine as the compiled minion from a template, and does not cache that pillar', async () => {
    write('pillar/debian.sls', "backends: {{ salt['mine.get']('web*', 'ip') | json }}\n");
    const asked: unknown[] = [];
    const c = compiler({
      mineGet: (reader, q) => {
        asked.push({ reader, ...q });
        return { web1: '10.0.0.1' };
      },
    });
    const r = await c.compile({ id: 'lb1', grains: { os: 'Debian' } });
    expect(r).toMatchObject({ ok: true, cacheable: false, pillar: { backends: { web1: '10.0.0.1' } } });
    expect(asked).toEqual([{ reader: 'lb1', tgt: 'web*', fun: 'ip', tgtType: 'glob' }]);
    expect((await c.compile({ id: 'lb2', grains: {} })).cacheable).toBe(true);
  });
});
