import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { append, replace } from './file-edit.js';
import { editLines, line } from './file-line.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

let t: StateTestContext;
let dir: string;
beforeEach(async () => {
  t = await createStateTestContext();
  dir = join(t.cacheDir, 'host');
  await mkdir(dir);
});
afterEach(() => t.cleanup());

describe('file.append', () => {
  it('appends only the missing lines, once', async () => {
    const name = join(dir, 'hosts.allow');
    await writeFile(name, 'ALL: 127.0.0.1');
    const args = { name, text: ['ALL: 127.0.0.1', 'sshd: 10.0.0.0/8'] };
    const predicted = await applyState(append, args, t.state, { test: true });
    expect(predicted).toMatchObject({ result: null, comment: `File ${name} is set to be updated` });
    const done = await applyState(append, args, t.state);
    expect(done).toMatchObject({ result: true, comment: 'Appended 1 lines', changes: predicted.changes });
    expect(done.changes.diff).toContain('+sshd: 10.0.0.0/8');
    expect(await readFile(name, 'utf8')).toBe('ALL: 127.0.0.1\nsshd: 10.0.0.0/8\n');
    expect(await applyState(append, args, t.state)).toMatchObject({
      changes: {},
      comment: `File ${name} is in correct state`,
    });
  });
});

describe('file.replace', () => {
  it('substitutes with Python back-references, multiline by default, once', async () => {
    const name = join(dir, 'sshd_config');
    await writeFile(name, 'Port 22\n#PermitRootLogin yes\n');
    const args = { name, pattern: '^#?PermitRootLogin (\\w+)$', repl: 'PermitRootLogin no # was \\1' };
    expect((await applyState(replace, args, t.state, { test: true })).comment).toBe('Changes would have been made');
    const done = await applyState(replace, args, t.state);
    expect(done).toMatchObject({ result: true, comment: 'Changes were made' });
    expect(await readFile(name, 'utf8')).toBe('Port 22\nPermitRootLogin no # was yes\n');
    const again = await applyState(replace, { ...args, pattern: '^#?PermitRootLogin yes$' }, t.state);
    expect(again).toMatchObject({ changes: {}, comment: 'No changes needed to be made' });
  });

  it('appends the content when nothing matches and it is not there yet', async () => {
    const name = join(dir, 'conf');
    await writeFile(name, 'a=1\n');
    const args = { name, pattern: '^b=.*$', repl: 'b=2', append_if_not_found: true };
    expect((await applyState(replace, args, t.state)).changes).not.toEqual({});
    expect(await readFile(name, 'utf8')).toBe('a=1\nb=2\n');
    expect((await applyState(replace, { ...args, pattern: '^b=3$' }, t.state)).changes).toEqual({});
  });

  it('fails for a missing file', async () => {
    expect(await applyState(replace, { name: join(dir, 'nope'), pattern: 'a', repl: 'b' }, t.state)).toMatchObject({
      result: false,
    });
  });
});

describe('file.line', () => {
  it.each([
    ['replaces matching lines', { mode: 'replace', match: '^T=', content: 'T=2' }, ['a', 'T=1'], ['a', 'T=2']],
    ['deletes matching lines', { mode: 'delete', match: '^#' }, ['#x', 'a', '#y'], ['a']],
    ['inserts after an anchor', { mode: 'insert', after: '^a$', content: 'b' }, ['a', 'c'], ['a', 'b', 'c']],
    ['inserts before an anchor', { mode: 'insert', before: '^c$', content: 'b' }, ['a', 'c'], ['a', 'b', 'c']],
    ['inserts at the start', { mode: 'insert', location: 'start', content: 'b' }, ['a'], ['b', 'a']],
    ['does not insert a line already there', { mode: 'insert', content: 'a' }, ['a'], ['a']],
    [
      'ensures by replacing the line after the anchor',
      { mode: 'ensure', after: '^\\[main\\]$', match: '^x=', content: 'x=2' },
      ['[main]', 'x=1'],
      ['[main]', 'x=2'],
    ],
    [
      'ensures by inserting after the anchor',
      { mode: 'ensure', after: '^\\[main\\]$', match: '^x=', content: 'x=2' },
      ['[main]', 'y=1'],
      ['[main]', 'x=2', 'y=1'],
    ],
  ] as const)('%s', (_title, args, before, after) => {
    expect(editLines(before, args)).toEqual(after);
  });

  it('reports a missing anchor as a failure', () => {
    expect(editLines(['a'], { mode: 'insert', after: '^zz$', content: 'b' })).toMatch(/Unable to find/);
  });

  it('edits a real file once and then needs no change', async () => {
    const name = join(dir, 'grub');
    await writeFile(name, 'GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n');
    const args = { name, mode: 'replace', match: '^GRUB_TIMEOUT=', content: 'GRUB_TIMEOUT=2' };
    expect(await applyState(line, args, t.state, { test: true })).toMatchObject({
      result: null,
      comment: 'Changes would be made',
    });
    const done = await applyState(line, args, t.state);
    expect(done).toMatchObject({ result: true, comment: 'Changes were made' });
    expect(done.changes.diff).toContain('+GRUB_TIMEOUT=2');
    expect(await readFile(name, 'utf8')).toBe('GRUB_DEFAULT=0\nGRUB_TIMEOUT=2\n');
    expect(await applyState(line, args, t.state)).toMatchObject({
      changes: {},
      comment: 'No changes needed to be made',
    });
  });
});
