import { lstat, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { absent, directory } from './file-directory.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

const isRoot = process.getuid?.() === 0;

let t: StateTestContext;
let dir: string;
beforeEach(async () => {
  t = await createStateTestContext();
  dir = join(t.cacheDir, 'host');
  await mkdir(dir);
});
afterEach(() => t.cleanup());

describe('file.directory', () => {
  it('creates a directory with its mode, then reports it in the correct state', async () => {
    const name = join(dir, 'srv');
    const predicted = await applyState(directory, { name, dir_mode: '0750' }, t.state, { test: true });
    expect(predicted).toMatchObject({ result: null, changes: { [name]: 'New Dir', mode: '0750' } });
    await expect(stat(name)).rejects.toThrow();
    const first = await applyState(directory, { name, dir_mode: '0750' }, t.state);
    expect(first).toEqual({ name, result: true, comment: `Directory ${name} updated`, changes: predicted.changes });
    expect((await stat(name)).mode & 0o777).toBe(0o750);
    const second = await applyState(directory, { name, mode: '0750' }, t.state);
    expect(second).toEqual({ name, result: true, comment: `Directory ${name} is in the correct state`, changes: {} });
  });

  it('needs makedirs for missing parents', async () => {
    const name = join(dir, 'a/b/c');
    expect(await applyState(directory, { name }, t.state)).toMatchObject({
      result: false,
      comment: `No directory to create ${name} in`,
    });
    expect((await applyState(directory, { name, makedirs: true }, t.state)).result).toBe(true);
    expect((await stat(name)).isDirectory()).toBe(true);
  });

  it('removes what is inside with clean, keeping excluded names', async () => {
    await writeFile(join(dir, 'stale'), 'x');
    await mkdir(join(dir, 'old'));
    await writeFile(join(dir, 'keep'), 'x');
    const r = await applyState(directory, { name: dir, clean: true, exclude: ['keep'] }, t.state);
    expect(r.changes).toEqual({ removed: [join(dir, 'old'), join(dir, 'stale')] });
    expect(await readdir(dir)).toEqual(['keep']);
    expect((await applyState(directory, { name: dir, clean: true, exclude: ['keep'] }, t.state)).changes).toEqual({});
  });

  it('applies owner and modes to everything inside with recurse, then finds nothing to do', async () => {
    await mkdir(join(dir, 'sub/deeper'), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'sub/f'), 'x', { mode: 0o600 });
    await writeFile(join(dir, 'g'), 'x', { mode: 0o640 });
    const args = {
      name: dir,
      dir_mode: '0750',
      file_mode: '0640',
      recurse: ['mode', ...(isRoot ? ['user'] : [])],
      user: isRoot ? 'nobody' : undefined,
    };
    const predicted = await applyState(directory, args, t.state, { test: true });
    expect(Object.keys(predicted.changes.recursion as object)).toEqual(
      [join(dir, 'g'), join(dir, 'sub'), join(dir, 'sub/deeper'), join(dir, 'sub/f')].filter(
        (p) => isRoot || !p.endsWith('/g'),
      ),
    );
    expect((await stat(join(dir, 'sub/f'))).mode & 0o777).toBe(0o600);
    const done = await applyState(directory, args, t.state);
    expect(done.changes).toEqual(predicted.changes);
    expect((await stat(join(dir, 'sub/f'))).mode & 0o777).toBe(0o640);
    expect((await stat(join(dir, 'sub/deeper'))).mode & 0o777).toBe(0o750);
    if (isRoot) expect((await stat(join(dir, 'g'))).uid).toBe(65534);
    expect((await applyState(directory, args, t.state)).changes).toEqual({});
  });

  it('fails when a file is in the way', async () => {
    await writeFile(join(dir, 'f'), 'x');
    expect(await applyState(directory, { name: join(dir, 'f') }, t.state)).toMatchObject({
      result: false,
      comment: `Specified location ${join(dir, 'f')} exists and is a file`,
    });
  });
});

describe('file.absent', () => {
  it('removes a directory tree, predicts it under test, and then finds nothing', async () => {
    const name = join(dir, 'tree');
    await mkdir(join(name, 'sub'), { recursive: true });
    await writeFile(join(name, 'sub/f'), 'x');
    const predicted = await applyState(absent, { name }, t.state, { test: true });
    expect(predicted).toEqual({
      name,
      result: null,
      comment: `File ${name} is set for removal`,
      changes: { removed: name },
    });
    expect((await lstat(name)).isDirectory()).toBe(true);
    expect(await applyState(absent, { name }, t.state)).toEqual({
      name,
      result: true,
      comment: `Removed directory ${name}`,
      changes: { removed: name },
    });
    expect(await applyState(absent, { name }, t.state)).toEqual({
      name,
      result: true,
      comment: `File ${name} is not present`,
      changes: {},
    });
  });

  it('refuses to remove the root directory', async () => {
    expect(await applyState(absent, { name: '/' }, t.state)).toMatchObject({ result: false });
  });
});
