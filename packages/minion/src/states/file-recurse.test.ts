import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recurse } from './file-recurse.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

let t: StateTestContext;
let dir: string;
beforeEach(async () => {
  t = await createStateTestContext();
  dir = join(t.cacheDir, 'host');
  await mkdir(join(t.fileRoot, 'site/css'), { recursive: true });
  await writeFile(join(t.fileRoot, 'site/index.html'), '<h1>hi</h1>\n');
  await writeFile(join(t.fileRoot, 'site/css/main.css'), 'body {}\n');
});
afterEach(() => t.cleanup());

describe('file.recurse', () => {
  it('copies a brine:// tree, predicts it under test, and is then in the correct state', async () => {
    const args = { name: dir, source: 'brine://site', file_mode: '0640' };
    const predicted = await applyState(recurse, args, t.state, { test: true });
    expect(predicted.result).toBeNull();
    expect(Object.keys(predicted.changes).sort()).toEqual([join(dir, 'css/main.css'), join(dir, 'index.html')]);
    await expect(stat(dir)).rejects.toThrow();
    const done = await applyState(recurse, args, t.state);
    expect(done).toEqual({
      name: dir,
      result: true,
      comment: `Recursively updated ${dir}`,
      changes: predicted.changes,
    });
    expect(await readFile(join(dir, 'css/main.css'), 'utf8')).toBe('body {}\n');
    expect((await stat(join(dir, 'index.html'))).mode & 0o777).toBe(0o640);
    expect(await applyState(recurse, args, t.state)).toMatchObject({
      changes: {},
      comment: `The directory ${dir} is in the correct state`,
    });
  });

  it('removes files the source lacks with clean, and shows a diff for changed ones', async () => {
    await mkdir(join(dir, 'old'), { recursive: true });
    await writeFile(join(dir, 'old/x'), 'x');
    await writeFile(join(dir, 'index.html'), '<h1>old</h1>\n');
    const r = await applyState(recurse, { name: dir, source: 'salt://site/', clean: true }, t.state);
    expect(r.changes.removed).toEqual([join(dir, 'old')]);
    expect((r.changes[join(dir, 'index.html')] as { diff: string }).diff).toContain('-<h1>old</h1>');
    expect((await readdir(dir)).sort()).toEqual(['css', 'index.html']);
  });

  it('renders every file with template: jinja', async () => {
    await writeFile(join(t.fileRoot, 'site/index.html'), '<h1>{{ title }}</h1>\n');
    const args = {
      name: dir,
      source: 'brine://site',
      template: 'jinja',
      defaults: { title: 'x' },
      context: { title: 'Brine' },
    };
    expect((await applyState(recurse, args, t.state)).result).toBe(true);
    expect(await readFile(join(dir, 'index.html'), 'utf8')).toBe('<h1>Brine</h1>\n');
    expect((await applyState(recurse, args, t.state)).changes).toEqual({});
  });

  it('fails for a source directory the master does not have', async () => {
    expect(await applyState(recurse, { name: dir, source: 'brine://nope' }, t.state)).toMatchObject({ result: false });
  });
});
