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
});
