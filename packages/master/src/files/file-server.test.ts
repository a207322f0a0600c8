import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, FileServer } from './file-server.js';

let root: string;
let outside: string;
let server: FileServer;

beforeAll(() => {
  const base = mkdtempSync(join(tmpdir(), 'brine-files-'));
  root = join(base, 'roots');
  outside = join(base, 'secret');
  mkdirSync(join(root, 'configs/nested'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'shadow'), 'root:x:0:0');
  writeFileSync(join(root, 'configs/motd'), 'hello\n');
  writeFileSync(join(root, 'configs/nested/big.bin'), Buffer.alloc(FILE_CHUNK_BYTES * 2 + 10, 7));
  writeFileSync(join(root, '%2e%2e'), 'literal name');
  symlinkSync(join(outside, 'shadow'), join(root, 'configs/escape'));
  symlinkSync(outside, join(root, 'configs/escape-dir'));
  symlinkSync(join(root, 'configs/motd'), join(root, 'configs/motd-link'));
  server = new FileServer([root]);
});

describe('FileServer', () => {
  it('serves a file inside the roots with its sha256', () => {
    const r = server.read('configs/motd', 0);
    expect(r).toMatchObject({
      ok: true,
      size: 6,
      eof: true,
      sha256: createHash('sha256').update('hello\n').digest('hex'),
    });
  });

  it('serves a large file in chunks that end with eof', () => {
    const first = server.read('configs/nested/big.bin', 0);
    const last = server.read('configs/nested/big.bin', FILE_CHUNK_BYTES * 2);
    expect(first.ok && first.data.length === FILE_CHUNK_BYTES && !first.eof).toBe(true);
    expect(last.ok && last.data.length === 10 && last.eof).toBe(true);
  });

  it.each([
    '../secret/shadow',
    'configs/../../secret/shadow',
    '/etc/passwd',
    'configs/\0motd',
    '..',
    'configs/escape',
    'configs/escape-dir/shadow',
  ])('refuses %j', (path) => {
    const r = server.read(path, 0);
    expect(r.ok).toBe(false);
  });

  it('takes percent-encoded names literally', () => {
    const r = server.read('%2e%2e', 0);
    expect(r.ok && r.data.toString()).toBe('literal name');
  });

  it('follows a symlink that stays inside the roots', () => {
    expect(server.read('configs/motd-link', 0).ok).toBe(true);
  });

  it('lists files under a prefix without leaving the roots', () => {
    expect(server.list('configs')).toEqual(['configs/motd', 'configs/motd-link', 'configs/nested/big.bin']);
    expect(server.list('../secret')).toEqual([]);
  });

  it('lists a root holding the links a -> . and b -> . once, in milliseconds', () => {
    const loop = mkdtempSync(join(tmpdir(), 'brine-loop-'));
    mkdirSync(join(loop, 'sub'));
    writeFileSync(join(loop, 'motd'), 'hi');
    writeFileSync(join(loop, 'sub/file'), 'hi');
    for (const [name, to] of [
      ['a', '.'],
      ['b', '.'],
      ['sub/up', '..'],
    ] as const)
      symlinkSync(to, join(loop, name));
    const t0 = performance.now();
    expect(new FileServer([loop]).list('')).toEqual(['motd', 'sub/file']);
    // sub/up leads out of the prefix, to a directory this listing did not reach otherwise.
    expect(new FileServer([loop]).list('sub')).toEqual(['sub/file', 'sub/up/motd']);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('reads each directory once when links to it multiply (a ladder of 30 double links)', () => {
    const ladder = mkdtempSync(join(tmpdir(), 'brine-ladder-'));
    for (let i = 0; i < 30; i++) {
      mkdirSync(join(ladder, `d${i}`));
      writeFileSync(join(ladder, `d${i}/f`), '');
      symlinkSync(`../d${i + 1}`, join(ladder, `d${i}/x`));
      symlinkSync(`../d${i + 1}`, join(ladder, `d${i}/y`));
    }
    mkdirSync(join(ladder, 'd30'));
    const listed = new FileServer([ladder]).list('');
    expect(listed).toHaveLength(30);
    expect(listed).toContain('d29/f');
  });

  it('lists a directory under its own path, and through a link only when nothing else reaches it', () => {
    const tree = mkdtempSync(join(tmpdir(), 'brine-alias-'));
    mkdirSync(join(tree, 'app/v2'), { recursive: true });
    mkdirSync(join(tree, 'shared'));
    writeFileSync(join(tree, 'app/v2/conf'), '');
    writeFileSync(join(tree, 'shared/lib'), '');
    symlinkSync('v2', join(tree, 'app/current'));
    symlinkSync('../shared', join(tree, 'app/shared'));
    const fs = new FileServer([tree]);
    expect(fs.list('')).toEqual(['app/v2/conf', 'shared/lib']);
    expect(fs.list('app')).toEqual(['app/shared/lib', 'app/v2/conf']);
    expect(fs.list('app/current')).toEqual(['app/current/conf']);
  });
});
