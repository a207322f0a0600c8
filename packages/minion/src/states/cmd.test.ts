import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cmdStates, parseStateLine } from './cmd.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';
import type { StateFunction } from './types.js';

const fn = (name: string): StateFunction => cmdStates.find((s) => s.name === name)!;
const isRoot = process.getuid?.() === 0;

let t: StateTestContext;
let dir: string;
beforeEach(async () => {
  t = await createStateTestContext();
  dir = join(t.cacheDir, 'host');
  await mkdir(dir);
});
afterEach(() => t.cleanup());

describe('cmd.run', () => {
  it('runs a command and reports Salt-shaped changes', async () => {
    const r = await applyState(fn('cmd.run'), { name: 'echo hello; echo oops >&2', cwd: dir }, t.state);
    expect(r).toMatchObject({
      result: true,
      comment: 'Command "echo hello; echo oops >&2" run',
      changes: { retcode: 0, stdout: 'hello', stderr: 'oops' },
    });
    expect(typeof r.changes.pid).toBe('number');
  });

  it('fails on a non-zero exit', async () => {
    expect(await applyState(fn('cmd.run'), { name: 'exit 3' }, t.state)).toMatchObject({
      result: false,
      changes: { retcode: 3 },
    });
  });

  it('skips once creates exists, so the second run reports no changes', async () => {
    const marker = join(dir, 'built');
    const args = { name: `echo x >> ${dir}/log; touch ${marker}`, creates: marker };
    expect((await applyState(fn('cmd.run'), args, t.state)).changes).toMatchObject({ retcode: 0 });
    expect(await applyState(fn('cmd.run'), args, t.state)).toMatchObject({
      result: true,
      changes: {},
      comment: 'All files in creates exist',
    });
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('x\n');
  });

  it('honours unless and onlyif', async () => {
    expect(await applyState(fn('cmd.run'), { name: 'false', unless: 'true' }, t.state)).toMatchObject({
      result: true,
      comment: 'unless condition is true',
    });
    expect(await applyState(fn('cmd.run'), { name: 'false', onlyif: ['true', 'false'] }, t.state)).toMatchObject({
      result: true,
      comment: 'onlyif condition is false',
    });
    expect(
      (await applyState(fn('cmd.run'), { name: 'true', onlyif: 'true', unless: 'false' }, t.state)).changes,
    ).toMatchObject({ retcode: 0 });
  });

  it('runs nothing under test mode but still evaluates the guards', async () => {
    const marker = join(dir, 'ran');
    expect(await applyState(fn('cmd.run'), { name: `touch ${marker}` }, t.state, { test: true })).toEqual({
      name: `touch ${marker}`,
      result: null,
      comment: `Command "touch ${marker}" would have been executed`,
      changes: {},
    });
    await expect(readFile(marker)).rejects.toThrow();
    expect((await applyState(fn('cmd.run'), { name: 'x', unless: 'true' }, t.state, { test: true })).result).toBe(true);
  });

  it('passes env and reads a stateful last line', async () => {
    const r = await applyState(
      fn('cmd.run'),
      { name: `echo "$GREETING"; echo "changed=no comment='all good'"`, env: { GREETING: 'hi' }, stateful: true },
      t.state,
    );
    expect(r).toMatchObject({ result: true, comment: 'all good', changes: {} });
    const changed = await applyState(
      fn('cmd.run'),
      { name: `echo out; echo '{"changed": true, "comment": "did it"}'`, stateful: true },
      t.state,
    );
    expect(changed).toMatchObject({ comment: 'did it', changes: { stdout: 'out' } });
    expect(parseStateLine('plain output')).toBeUndefined();
    const bash = await applyState(
      fn('cmd.run'),
      { name: 'echo $BASH_VERSION', shell: '/bin/bash', unless: '[[ -z x ]]' },
      t.state,
    );
    expect(bash.changes).toMatchObject({ stdout: expect.stringMatching(/^\d/) });
    const listEnv = await applyState(fn('cmd.run'), { name: 'echo "$A$B"', env: [{ A: 'x' }, { B: 1 }] }, t.state);
    expect(listEnv.changes).toMatchObject({ stdout: 'x1' });
  });

  it.runIf(isRoot)('runs as another user', async () => {
    const r = await applyState(fn('cmd.run'), { name: 'id -un', runas: 'nobody' }, t.state);
    expect(r.changes).toMatchObject({ stdout: 'nobody' });
  });
});

describe('cmd.wait', () => {
  it('does nothing on its own and runs through mod_watch', async () => {
    const marker = join(dir, 'reloaded');
    const args = { name: `touch ${marker}` };
    expect(await applyState(fn('cmd.wait'), args, t.state)).toEqual({
      name: args.name,
      result: true,
      comment: '',
      changes: {},
    });
    await expect(readFile(marker)).rejects.toThrow();
    expect((await applyState(fn('cmd.wait'), args, t.state, { watch: true })).changes).toMatchObject({ retcode: 0 });
    await readFile(marker);
  });
});

describe('cmd.script', () => {
  it('fetches a script from the master and runs it with arguments', async () => {
    await writeFile(join(t.fileRoot, 'hello.sh'), '#!/bin/sh\necho "hello $1"\n');
    const r = await applyState(fn('cmd.script'), { name: 'greet', source: 'salt://hello.sh', args: 'world' }, t.state);
    expect(r).toMatchObject({ result: true, changes: { retcode: 0, stdout: 'hello world' } });
    const skipped = await applyState(
      fn('cmd.script'),
      { name: 'greet', source: 'brine://hello.sh', onlyif: 'false' },
      t.state,
    );
    expect(skipped.changes).toEqual({});
  });

  it('fails naming a missing script', async () => {
    const r = await applyState(fn('cmd.script'), { name: 'brine://nope.sh' }, t.state);
    expect(r).toMatchObject({ result: false, comment: expect.stringContaining('nope.sh') });
  });
});
