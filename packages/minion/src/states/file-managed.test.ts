import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { managed } from './file-managed.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

const isRoot = process.getuid?.() === 0;

let t: StateTestContext;
let dir: string;
beforeEach(async () => {
  t = await createStateTestContext({ pillar: { motd: { text: 'from pillar' } } });
  dir = join(t.cacheDir, 'host');
  await mkdir(dir);
});
afterEach(() => t.cleanup());

describe('file.managed', () => {
  it('creates a file from a brine:// source, then reports it in the correct state', async () => {
    await writeFile(join(t.fileRoot, 'app.conf'), 'port = 80\n');
    const name = join(dir, 'app.conf');
    const first = await applyState(managed, { name, source: 'brine://app.conf' }, t.state);
    expect(first).toEqual({ name, result: true, comment: `File ${name} updated`, changes: { diff: 'New file' } });
    expect(await readFile(name, 'utf8')).toBe('port = 80\n');
    expect((await stat(name)).mode & 0o777).toBe(0o644);
    const second = await applyState(managed, { name, source: 'salt://app.conf' }, t.state);
    expect(second).toEqual({ name, result: true, comment: `File ${name} is in the correct state`, changes: {} });
  });

  it('predicts a unified diff under test mode and changes nothing', async () => {
    const name = join(dir, 'motd');
    await writeFile(name, 'old line\nsame\n');
    const r = await applyState(managed, { name, contents: 'new line\nsame' }, t.state, { test: true });
    expect(r.result).toBeNull();
    expect(r.comment).toMatch(/^The file .* is set to be changed\nNote: No changes made/);
    expect(r.changes.diff).toBe(`--- ${name}\n+++ ${name}\n@@ -1,2 +1,2 @@\n-old line\n+new line\n same\n`);
    expect(await readFile(name, 'utf8')).toBe('old line\nsame\n');
    const real = await applyState(managed, { name, contents: 'new line\nsame' }, t.state);
    expect(real.changes).toEqual(r.changes);
    expect(await readFile(name, 'utf8')).toBe('new line\nsame\n');
  });

  it('renders a jinja source with defaults overlaid by context', async () => {
    await writeFile(join(t.fileRoot, 'tpl.j2'), 'workers {{ workers }} on {{ grains.id }} as {{ user }}\n');
    const name = join(dir, 'out.conf');
    const args = {
      name,
      source: 'brine://tpl.j2',
      template: 'jinja',
      defaults: { workers: 1, user: 'www' },
      context: { workers: 4 },
    };
    expect((await applyState(managed, args, t.state)).result).toBe(true);
    expect(await readFile(name, 'utf8')).toBe('workers 4 on test-minion as www\n');
    expect((await applyState(managed, args, t.state)).changes).toEqual({});
  });

  it('fails with the renderer message when a template variable is undefined', async () => {
    const r = await applyState(managed, { name: join(dir, 'x'), contents: '{{ nope }}', template: 'jinja' }, t.state);
    expect(r).toMatchObject({ result: false, comment: expect.stringContaining("'nope' is undefined") });
  });

  it('takes contents from pillar and fails naming a missing pillar key', async () => {
    const name = join(dir, 'motd');
    expect((await applyState(managed, { name, contents_pillar: 'motd:text' }, t.state)).result).toBe(true);
    expect(await readFile(name, 'utf8')).toBe('from pillar\n');
    const missing = await applyState(managed, { name, contents_pillar: 'motd:nope' }, t.state);
    expect(missing).toMatchObject({ result: false, comment: 'Pillar motd:nope does not exist' });
  });

  it('sets the mode and reports it, then reports nothing on a second run', async () => {
    const name = join(dir, 'secret');
    const first = await applyState(managed, { name, contents: 's3cret', mode: '0600' }, t.state);
    expect(first.changes).toEqual({ diff: 'New file', mode: '0600' });
    expect((await stat(name)).mode & 0o777).toBe(0o600);
    expect((await applyState(managed, { name, contents: 's3cret', mode: '0600' }, t.state)).changes).toEqual({});
    const widen = await applyState(managed, { name, contents: 's3cret', mode: 640 }, t.state);
    expect(widen.changes).toEqual({ mode: '0640' });
  });

  it.runIf(isRoot)('sets the owner and group by name', async () => {
    const name = join(dir, 'owned');
    const r = await applyState(managed, { name, contents: 'x', user: 'nobody', group: 'nogroup' }, t.state);
    expect(r.changes).toEqual({ diff: 'New file', user: 'nobody', group: 'nogroup' });
    const st = await stat(name);
    expect(st.uid).toBe(65534);
    expect(
      (await applyState(managed, { name, contents: 'x', user: 'nobody', group: 'nogroup' }, t.state)).changes,
    ).toEqual({});
  });

  it('fails when the parent is missing unless makedirs is set', async () => {
    const name = join(dir, 'a/b/c.txt');
    expect(await applyState(managed, { name, contents: 'x' }, t.state)).toMatchObject({
      result: false,
      comment: 'Parent directory not present',
    });
    expect((await applyState(managed, { name, contents: 'x', makedirs: true }, t.state)).result).toBe(true);
    expect(await readFile(name, 'utf8')).toBe('x\n');
  });

  it('predicts under test when the parent or the owner is not there yet (an earlier state may make them)', async () => {
    const name = join(dir, 'later/app.conf');
    const r = await applyState(managed, { name, contents: 'x', user: 'no-such-user-brine' }, t.state, { test: true });
    expect(r).toMatchObject({ result: null, changes: { diff: 'New file', user: 'no-such-user-brine' } });
    const real = await applyState(
      managed,
      { name: join(dir, 'x'), contents: 'x', user: 'no-such-user-brine' },
      t.state,
    );
    expect(real).toMatchObject({ result: false, comment: expect.stringContaining('ERR_MINION_USER_UNKNOWN') });
  });

  it('writes through a symlink and keeps the link, idempotently with a mode', async () => {
    const target = join(dir, 'real.conf');
    const name = join(dir, 'link.conf');
    await writeFile(target, 'old\n', { mode: 0o600 });
    await symlink(target, name);
    const args = { name, contents: 'new', mode: '0640' };
    expect((await applyState(managed, args, t.state)).changes).toMatchObject({ mode: '0640' });
    expect((await lstat(name)).isSymbolicLink()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('new\n');
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    expect((await applyState(managed, args, t.state)).changes).toEqual({});
  });

  it('hides the diff with show_changes: false and makes parents with dir_mode', async () => {
    const name = join(dir, 'secret/dir/key');
    await applyState(managed, { name, contents: 'k1', makedirs: true, dir_mode: '0700' }, t.state);
    expect((await stat(join(dir, 'secret'))).mode & 0o777).toBe(0o700);
    const r = await applyState(managed, { name, contents: 'k2', show_changes: false }, t.state);
    expect(r.changes).toEqual({ diff: '<show_changes=False>' });
  });

  it('leaves an existing file alone with replace: false', async () => {
    const name = join(dir, 'keep');
    await writeFile(name, 'local edit\n');
    const r = await applyState(managed, { name, contents: 'managed', replace: false }, t.state);
    expect(r).toMatchObject({
      result: true,
      changes: {},
      comment: `File ${name} exists with proper permissions. No changes made.`,
    });
    expect(await readFile(name, 'utf8')).toBe('local edit\n');
  });

  it('keeps the old file in the minion cache with backup: minion', async () => {
    const name = join(dir, 'conf');
    await writeFile(name, 'v1\n');
    await applyState(managed, { name, contents: 'v2', backup: 'minion' }, t.state);
    const backups = await readdir(join(t.cacheDir, 'file_backup', dir));
    expect(backups).toHaveLength(1);
    expect(await readFile(join(t.cacheDir, 'file_backup', dir, backups[0]!), 'utf8')).toBe('v1\n');
  });

  it('checks source_hash and fails on a mismatch without touching the file', async () => {
    await writeFile(join(t.fileRoot, 'f'), 'abc');
    const good = 'sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    const name = join(dir, 'f');
    expect((await applyState(managed, { name, source: 'brine://f', source_hash: good }, t.state)).result).toBe(true);
    const bad = await applyState(
      managed,
      { name: join(dir, 'g'), source: 'brine://f', source_hash: 'a'.repeat(64) },
      t.state,
    );
    expect(bad.result).toBe(false);
    expect(bad.comment).toMatch(/^Specified sha256 checksum for .* does not match actual checksum \(ba7816bf/);
    await expect(stat(join(dir, 'g'))).rejects.toThrow();
  });

  it('tries sources in order and fails naming them all when none exists', async () => {
    await writeFile(join(t.fileRoot, 'second'), 'two');
    const name = join(dir, 'pick');
    expect((await applyState(managed, { name, source: ['brine://first', 'brine://second'] }, t.state)).result).toBe(
      true,
    );
    expect(await readFile(name, 'utf8')).toBe('two');
    const none = await applyState(managed, { name, source: ['brine://nope'] }, t.state);
    expect(none).toMatchObject({ result: false, comment: expect.stringContaining('brine://nope') });
  });

  it('refuses to manage a directory', async () => {
    expect(await applyState(managed, { name: dir, contents: 'x' }, t.state)).toMatchObject({
      result: false,
      comment: `Specified target ${dir} is a directory`,
    });
  });

  it('refuses a source outside the file server scheme', () => {
    expect(() => managed.args.parse({ name: '/tmp/x', source: 'http://example/x' })).toThrow(/brine:\/\/ or salt:\/\//);
    expect(() => managed.args.parse({ name: '/tmp/x', source: 'brine://../etc/shadow' })).toThrow(/\.\./);
  });
});
