import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servedFiles } from './served-files.js';

describe('servedFiles', () => {
  const base = mkdtempSync(join(tmpdir(), 'brine-served-'));
  const root = join(base, 'srv');
  const out = join(base, 'out');
  mkdirSync(join(root, '_compiled/modules'), { recursive: true });
  mkdirSync(join(out, '_compiled/modules'), { recursive: true });
  writeFileSync(join(root, 'motd'), 'hi\n');
  writeFileSync(join(root, '_compiled/modules/m.js'), 'from a file root\n');
  writeFileSync(join(out, '_compiled/modules/m.js'), 'compiled\n');
  const files = servedFiles([root], out);

  it('serves compiled extensions from their own root, which no file root can shadow', () => {
    const got = files.read('_compiled/modules/m.js', 0);
    expect(got.ok && got.data.toString()).toBe('compiled\n');
    expect(files.read('motd', 0).ok).toBe(true);
  });

  it('lists only the file roots', () => {
    expect(files.list('')).toEqual(['_compiled/modules/m.js', 'motd']);
    expect(files.read('../out/_compiled/modules/m.js', 0).ok).toBe(false);
  });
});
