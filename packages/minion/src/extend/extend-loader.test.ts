import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInstalled, shapeChecks } from './extend-loader.js';

/** Installs files as a sync would: `<dir>/modules/<name>.js` and its listing. */
function installed(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'brine-extend-load-'));
  mkdirSync(join(dir, 'modules'));
  const entries = Object.entries(files).map(([name, code], i) => {
    writeFileSync(join(dir, 'modules', `${name}.js`), code);
    return { name, path: `_compiled/modules/${name}.js`, sha256: String(i).padStart(64, '0'), size: code.length };
  });
  writeFileSync(join(dir, 'modules/listing.json'), JSON.stringify(entries));
  return dir;
}

const ok = `export default { name: 'ok', functions: { f: { doc: 'd', params: [], schema: { safeParse() {} }, run: async () => ({ ret: 1 }) } } };`;

describe('loadInstalled', () => {
  it('loads good files and reports each broken, declining or stalled one', async () => {
    const dir = installed({
      ok,
      throws: `throw new Error('no thanks');`,
      shapeless: `export default { name: 'shapeless' };`,
      declines: `export default { name: 'declines', functions: {}, virtual: ({ grains }) => ({ ok: false, reason: 'not on ' + grains.os }) };`,
      stalls: `await new Promise(() => {}); export default {};`,
    });
    const got = await loadInstalled(dir, 'modules', {
      check: shapeChecks.modules,
      grains: { os: 'Plan9' },
      loadTimeoutMs: 300,
    });
    expect(got.map((l) => [l.name, l.status])).toEqual([
      ['ok', 'loaded'],
      ['throws', 'failed'],
      ['shapeless', 'failed'],
      ['declines', 'declined'],
      ['stalls', 'failed'],
    ]);
    expect(got[1]).toMatchObject({ error: 'no thanks' });
    expect(got[2]).toMatchObject({ error: 'functions must be an object of functions' });
    expect(got[3]).toMatchObject({ reason: 'not on Plan9' });
    expect(got[4]).toMatchObject({ error: 'did not load within 300 ms' });
  });
});
