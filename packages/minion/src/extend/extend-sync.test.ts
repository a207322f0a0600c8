import { createHash, createPrivateKey } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, signExtendListing, type ExtendEntry } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { ExtendSyncCode, installedEntries, syncKind, type SyncDeps } from './extend-sync.js';

const master = generateKeyPair();
const NOW = 1_800_000_000_000;

/** A fake master: serves `served` by path, and signs a listing of `listed` for `signFor`. */
function deps(dir: string, listed: Record<string, string>, served = listed, signFor = 'web1'): SyncDeps {
  const src = mkdtempSync(join(tmpdir(), 'brine-extend-src-'));
  const entries: ExtendEntry[] = Object.entries(listed).map(([name, code]) => ({
    name,
    path: `_compiled/modules/${name}.js`,
    sha256: createHash('sha256').update(code).digest('hex'),
    size: Buffer.byteLength(code),
  }));
  return {
    minionId: 'web1',
    dir,
    now: () => NOW,
    masterPub: () => master.publicRaw,
    files: {
      listExtend: async (kind) =>
        signExtendListing(createPrivateKey(master.privatePem), signFor, { kind, issuedAt: NOW, entries, errors: [] }),
      getFile: async (path, dest) => {
        const name = path.split('/').pop()!.replace(/\.js$/, '');
        writeFileSync(join(src, name), served[name]!);
        copyFileSync(join(src, name), dest);
        return { sha256: '', size: 0 };
      },
    },
  };
}

describe('syncKind', () => {
  it('installs the files of a verified listing and reports what changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-extend-'));
    const first = await syncKind('modules', deps(dir, { a: 'export default 1;\n', b: 'export default 2;\n' }));
    expect(first.changed).toEqual(['a', 'b']);
    const second = await syncKind('modules', deps(dir, { a: 'export default 1;\n', c: 'export default 3;\n' }));
    expect(second).toMatchObject({ changed: ['c'], removed: ['b'] });
    expect(readFileSync(join(dir, 'modules/c.js'), 'utf8')).toBe('export default 3;\n');
  });

  it('refuses a file that does not match the signed listing and keeps the installed set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-extend-'));
    await syncKind('modules', deps(dir, { a: 'export default 1;\n' }));
    const tampered = deps(dir, { a: 'export default 2;\n' }, { a: 'export default "evil";\n' });
    await expect(syncKind('modules', tampered)).rejects.toMatchObject({ code: ExtendSyncCode.hashMismatch });
    expect(readFileSync(join(dir, 'modules/a.js'), 'utf8')).toBe('export default 1;\n');
    expect(installedEntries(dir, 'modules').map((e) => e.name)).toEqual(['a']);
  });

  it('refuses a listing signed for another minion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-extend-'));
    const moved = deps(dir, { a: 'export default 1;\n' }, undefined, 'db1');
    await expect(syncKind('modules', moved)).rejects.toMatchObject({ code: ExtendSyncCode.listingRefused });
    expect(installedEntries(dir, 'modules')).toEqual([]);
  });

  it('refuses a listing of another kind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brine-extend-'));
    const d = deps(dir, { a: 'export default 1;\n' });
    const listExtend = d.files.listExtend;
    d.files.listExtend = async () => listExtend('states');
    await expect(syncKind('modules', d)).rejects.toMatchObject({ code: ExtendSyncCode.listingRefused });
  });
});
