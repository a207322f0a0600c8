import { createHash } from 'node:crypto';
import { readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

let t: TestContext;
let dir: string;
beforeEach(async () => {
  t = await createTestContext();
  dir = t.cacheDir;
});
afterEach(() => t.cleanup());

describe('file contents', () => {
  it('writes, reads and appends whole lines', async () => {
    const path = join(dir, 'motd');
    expect(await callFunction(t.ctx, 'file.write', [path, 'first'])).toEqual({ ret: { path, bytes: 5 } });
    await callFunction(t.ctx, 'file.append', [path, 'second']);
    await callFunction(t.ctx, 'file.append', [path, 'third\n']);
    expect(await callFunction(t.ctx, 'file.read', [path])).toEqual({ ret: 'first\nsecond\nthird\n' });
  });

  it('creates a written file with the given mode', async () => {
    const path = join(dir, 'secret');
    await callFunction(t.ctx, 'file.write', [path, 'x'], { mode: '0600' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('requires absolute paths', async () => {
    await expect(callFunction(t.ctx, 'file.read', ['etc/passwd'])).rejects.toMatchObject({ code: 'ERR_ARGS_INVALID' });
  });

  it('fails with ERR_MINION_FILE_NOT_FOUND for a missing file', async () => {
    await expect(callFunction(t.ctx, 'file.read', [join(dir, 'missing')])).rejects.toMatchObject({
      code: 'ERR_MINION_FILE_NOT_FOUND',
    });
  });

  it('fails with ERR_MINION_FILE_TYPE when reading a directory', async () => {
    await expect(callFunction(t.ctx, 'file.read', [dir])).rejects.toMatchObject({ code: 'ERR_MINION_FILE_TYPE' });
  });

  it('refuses to read a file larger than the output cap', async () => {
    t.ctx.maxOutputBytes = 10;
    const path = join(dir, 'big');
    await writeFile(path, 'x'.repeat(11));
    await expect(callFunction(t.ctx, 'file.read', [path])).rejects.toMatchObject({ code: 'ERR_MINION_FILE_TOO_LARGE' });
  });

  it('touches a file into existence with the given mtime', async () => {
    const path = join(dir, 'stamp');
    expect(await callFunction(t.ctx, 'file.touch', [path], { mtime: 1_700_000_000 })).toEqual({ ret: true });
    expect(Math.round((await stat(path)).mtimeMs / 1000)).toBe(1_700_000_000);
  });

  it('reports existence, false being a successful answer', async () => {
    expect(await callFunction(t.ctx, 'file.exists', [dir])).toEqual({ ret: true });
    expect(await callFunction(t.ctx, 'file.exists', [join(dir, 'nope')])).toEqual({ ret: false });
  });

  it('removes files and directory trees, and refuses /', async () => {
    await callFunction(t.ctx, 'file.mkdir', [join(dir, 'a/b/c')]);
    await writeFile(join(dir, 'a/b/c/f'), 'x');
    expect(await callFunction(t.ctx, 'file.remove', [join(dir, 'a')])).toEqual({ ret: true });
    expect(await callFunction(t.ctx, 'file.remove', [join(dir, 'a')])).toEqual({ ret: false });
    await expect(callFunction(t.ctx, 'file.remove', ['/'])).rejects.toMatchObject({ code: 'ERR_MINION_PATH_REFUSED' });
    await expect(callFunction(t.ctx, 'file.remove', ['/tmp/..'])).rejects.toMatchObject({
      code: 'ERR_MINION_PATH_REFUSED',
    });
  });
});

describe('file.replace', () => {
  it('replaces matches with capture groups and reports whether the file changed', async () => {
    const path = join(dir, 'conf');
    await writeFile(path, 'PermitRootLogin yes\n#Port 22\nPort 2222\n');
    const r = await callFunction(t.ctx, 'file.replace', [path, '^#?Port (\\d+)$', 'Port $1 # was $&'], { flags: 'm' });
    expect(r).toEqual({ ret: true });
    expect(await readFile(path, 'utf8')).toBe(
      'PermitRootLogin yes\nPort 22 # was #Port 22\nPort 2222 # was Port 2222\n',
    );
    expect(await callFunction(t.ctx, 'file.replace', [path, 'nomatch', 'x'])).toEqual({ ret: false });
  });

  it('replaces only the first count matches and supports named groups', async () => {
    const path = join(dir, 'list');
    await writeFile(path, 'a1 a2 a3');
    await callFunction(t.ctx, 'file.replace', [path, 'a(?<n>\\d)', 'b$<n>'], { count: 2 });
    expect(await readFile(path, 'utf8')).toBe('b1 b2 a3');
  });

  it('refuses an invalid regular expression', async () => {
    await expect(callFunction(t.ctx, 'file.replace', [join(dir, 'x'), '(', 'y'])).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
    });
  });
});

describe('file attributes', () => {
  it('describes a file with file.stats', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'hello', { mode: 0o640 });
    const { ret } = await callFunction(t.ctx, 'file.stats', [path]);
    expect(ret).toMatchObject({ type: 'file', size: 5, mode: '0640', uid: 0, gid: 0, user: 'root', group: 'root' });
    expect((ret as { mtime: number }).mtime).toBeCloseTo(Date.now() / 1000, -2);
  });

  it('describes a symlink itself when follow_symlinks is false', async () => {
    const link = join(dir, 'link');
    await symlink('/etc/hostname', link);
    const { ret } = await callFunction(t.ctx, 'file.stats', [link], { follow_symlinks: false });
    expect(ret).toMatchObject({ type: 'link', target: '/etc/hostname' });
  });

  it('hashes with sha256 by default and other algorithms on request', async () => {
    const path = join(dir, 'f');
    await writeFile(path, 'brine');
    const digest = (alg: string): string => createHash(alg).update('brine').digest('hex');
    expect(await callFunction(t.ctx, 'file.hash', [path])).toEqual({ ret: digest('sha256') });
    expect(await callFunction(t.ctx, 'file.hash', [path], { algorithm: 'md5' })).toEqual({ ret: digest('md5') });
  });

  it('makes directories with a mode regardless of umask, and refuses a file in the way', async () => {
    const path = join(dir, 'x/y');
    expect(await callFunction(t.ctx, 'file.mkdir', [path], { mode: '0775' })).toEqual({ ret: true });
    expect((await stat(path)).mode & 0o7777).toBe(0o775);
    await writeFile(join(dir, 'plain'), '');
    await expect(callFunction(t.ctx, 'file.mkdir', [join(dir, 'plain')])).rejects.toMatchObject({
      code: 'ERR_MINION_FILE_TYPE',
    });
  });

  it('changes owner and group by name or id', async () => {
    const path = join(dir, 'owned');
    await writeFile(path, '');
    expect(await callFunction(t.ctx, 'file.chown', [path, 'nobody', 'nogroup'])).toEqual({ ret: true });
    expect(await stat(path)).toMatchObject({ uid: 65534, gid: 65534 });
    await callFunction(t.ctx, 'file.chown', [path], { group: 0 });
    expect(await stat(path)).toMatchObject({ uid: 65534, gid: 0 });
  });

  it('fails chown with ERR_MINION_USER_UNKNOWN or ERR_MINION_GROUP_UNKNOWN for unknown names', async () => {
    const path = join(dir, 'owned');
    await writeFile(path, '');
    await expect(callFunction(t.ctx, 'file.chown', [path, 'no-such-user-brine'])).rejects.toMatchObject({
      code: 'ERR_MINION_USER_UNKNOWN',
    });
    await expect(callFunction(t.ctx, 'file.chown', [path], { group: 'no-such-group-brine' })).rejects.toMatchObject({
      code: 'ERR_MINION_GROUP_UNKNOWN',
    });
  });

  it('sets a mode from an octal string and returns it', async () => {
    const path = join(dir, 'm');
    await writeFile(path, '');
    expect(await callFunction(t.ctx, 'file.chmod', [path, '751'])).toEqual({ ret: '0751' });
    await expect(callFunction(t.ctx, 'file.chmod', [path, '999'])).rejects.toMatchObject({ code: 'ERR_ARGS_INVALID' });
  });
});
