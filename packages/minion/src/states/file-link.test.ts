import { mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copy, symlink, touch } from './file-link.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

let t: StateTestContext;
let dir: string;
beforeEach(async () => {
  t = await createStateTestContext();
  dir = join(t.cacheDir, 'host');
  await mkdir(dir);
});
afterEach(() => t.cleanup());

describe('file.symlink', () => {
  it('creates a link, repoints a wrong one, and leaves a right one alone', async () => {
    const name = join(dir, 'current');
    const predicted = await applyState(symlink, { name, target: '/opt/v1' }, t.state, { test: true });
    expect(predicted).toMatchObject({ result: null, changes: { new: name } });
    expect(await applyState(symlink, { name, target: '/opt/v1' }, t.state)).toEqual({
      name,
      result: true,
      comment: `Created new symlink ${name} -> /opt/v1`,
      changes: { new: name },
    });
    expect(await readlink(name)).toBe('/opt/v1');
    expect((await applyState(symlink, { name, target: '/opt/v2' }, t.state)).changes).toEqual({ change: name });
    expect(await readlink(name)).toBe('/opt/v2');
    expect(await applyState(symlink, { name, target: '/opt/v2' }, t.state)).toMatchObject({
      result: true,
      changes: {},
    });
  });

  it('replaces a file in its place only with force', async () => {
    const name = join(dir, 'f');
    await writeFile(name, 'x');
    expect(await applyState(symlink, { name, target: '/tmp' }, t.state)).toMatchObject({
      result: false,
      comment: `File exists where the symlink ${name} should be`,
    });
    expect((await applyState(symlink, { name, target: '/tmp', force: true }, t.state)).result).toBe(true);
    expect(await readlink(name)).toBe('/tmp');
  });
});

describe('file.touch', () => {
  it('creates a missing file and then reports no change', async () => {
    const name = join(dir, 'stamp');
    expect(await applyState(touch, { name }, t.state, { test: true })).toMatchObject({
      result: null,
      changes: { new: name },
    });
    expect(await applyState(touch, { name }, t.state)).toMatchObject({ result: true, changes: { new: name } });
    expect(await applyState(touch, { name }, t.state)).toMatchObject({ result: true, changes: {} });
  });

  it('sets a given mtime once', async () => {
    const name = join(dir, 'stamp');
    await writeFile(name, '');
    expect((await applyState(touch, { name, mtime: 1_700_000_000 }, t.state)).changes).toEqual({ touched: name });
    expect((await stat(name)).mtimeMs).toBe(1_700_000_000_000);
    expect((await applyState(touch, { name, mtime: 1_700_000_000 }, t.state)).changes).toEqual({});
  });
});

describe('file.copy', () => {
  it('copies a file once and keeps a different target without force', async () => {
    const source = join(dir, 'src');
    const name = join(dir, 'dst');
    await writeFile(source, 'v1');
    expect(await applyState(copy, { name, source }, t.state)).toEqual({
      name,
      result: true,
      comment: `Copied "${source}" to "${name}"`,
      changes: { [name]: source },
    });
    expect(await applyState(copy, { name, source }, t.state)).toMatchObject({ changes: {} });
    await writeFile(source, 'v2');
    expect(await applyState(copy, { name, source }, t.state)).toMatchObject({
      changes: {},
      comment: `The target file "${name}" exists and will not be overwritten`,
    });
    expect((await applyState(copy, { name, source, force: true }, t.state, { test: true })).result).toBeNull();
    expect(await readFile(name, 'utf8')).toBe('v1');
    expect((await applyState(copy, { name, source, force: true }, t.state)).changes).toEqual({ [name]: source });
    expect(await readFile(name, 'utf8')).toBe('v2');
  });

  it('fails when the source is missing', async () => {
    expect(await applyState(copy, { name: join(dir, 'x'), source: join(dir, 'nope') }, t.state)).toMatchObject({
      result: false,
      comment: `Source file "${join(dir, 'nope')}" is not present`,
    });
  });
});
