import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

let t: TestContext;
beforeEach(async () => (t = await createTestContext()));
afterEach(() => t.cleanup());

describe('cmd.run', () => {
  it('returns stdout and stderr merged in the order written, and the command retcode', async () => {
    const r = await callFunction(t.ctx, 'cmd.run', ['echo one; echo two >&2; echo three; exit 4']);
    expect(r).toEqual({ ret: 'one\ntwo\nthree', retcode: 4 });
  });

  it('runs in cwd with env and stdin', async () => {
    const r = await callFunction(t.ctx, 'cmd.run', ['read x; echo "$x $PWD $WHO"'], {
      cwd: '/tmp',
      env: { WHO: 'brine' },
      stdin: 'typed\n',
    });
    expect(r.ret).toBe('typed /tmp brine');
  });

  it('runs as another user with that user’s home', async () => {
    const r = await callFunction(t.ctx, 'cmd.run', ['id -un; echo $HOME'], { runas: 'nobody' });
    expect(r.ret).toBe('nobody\n/nonexistent');
  });

  it('refuses an unknown runas user with ERR_MINION_USER_UNKNOWN', async () => {
    await expect(callFunction(t.ctx, 'cmd.run', ['true'], { runas: 'no-such-user-brine' })).rejects.toMatchObject({
      code: 'ERR_MINION_USER_UNKNOWN',
    });
  });

  it('streams output through ctx.emit while the command runs', async () => {
    await callFunction(t.ctx, 'cmd.run', ['echo a; sleep 0.2; echo b']);
    expect(t.emitted).toEqual([
      { stream: 'stdout', data: 'a\n' },
      { stream: 'stdout', data: 'b\n' },
    ]);
  });

  it('kills the command at its timeout and says so', async () => {
    const started = Date.now();
    const r = await callFunction(t.ctx, 'cmd.run', ['echo started; sleep 600'], { timeout: 0.3 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.ret).toBe('started\n[brine: timed out]');
    expect(r.retcode).not.toBe(0);
  });

  it('marks capped output as truncated', async () => {
    t.ctx.maxOutputBytes = 1000;
    const r = await callFunction(t.ctx, 'cmd.run_all', ['head -c 100000 /dev/zero | tr "\\0" x']);
    expect(r.ret).toMatchObject({ truncated: true, retcode: 0 });
    expect((r.ret as { stdout: string }).stdout).toHaveLength(1000);
    const text = await callFunction(t.ctx, 'cmd.run', ['head -c 100000 /dev/zero | tr "\\0" x']);
    expect(text.ret).toMatch(/\[brine: output truncated at 1000 bytes\]$/);
  });
});

describe('cmd.run_all, cmd.exec, cmd.retcode', () => {
  it('returns stdout, stderr, retcode and pid separately', async () => {
    const r = await callFunction(t.ctx, 'cmd.run_all', ['echo out; echo err >&2; exit 2']);
    expect(r).toMatchObject({ ret: { stdout: 'out', stderr: 'err', retcode: 2 }, retcode: 2 });
    expect((r.ret as { pid: number }).pid).toBeGreaterThan(0);
  });

  it('runs argv without a shell, so metacharacters stay literal', async () => {
    const r = await callFunction(t.ctx, 'cmd.exec', ['echo', '$(id)', '|', 'x;y']);
    expect(r).toMatchObject({ ret: { stdout: '$(id) | x;y', retcode: 0 }, retcode: 0 });
  });

  it('fails with ERR_MINION_SPAWN_FAILED for a program that does not exist', async () => {
    await expect(callFunction(t.ctx, 'cmd.exec', ['/no/such/program'])).rejects.toMatchObject({
      code: 'ERR_MINION_SPAWN_FAILED',
    });
  });

  it('returns only the exit code from cmd.retcode', async () => {
    expect(await callFunction(t.ctx, 'cmd.retcode', ['exit 7'])).toEqual({ ret: 7, retcode: 7 });
  });
});

describe('cmd.script', () => {
  it('fetches a script from the master, runs it with arguments, and deletes it', async () => {
    await mkdir(join(t.fileRoot, 'scripts'));
    await writeFile(join(t.fileRoot, 'scripts', 'hello.sh'), '#!/bin/sh\necho "hello $1 $2"; echo "$0"\n');
    const r = await callFunction(t.ctx, 'cmd.script', ['brine://scripts/hello.sh', 'big', 'world']);
    const ret = r.ret as { stdout: string };
    const [greeting, scriptPath] = ret.stdout.split('\n');
    expect(greeting).toBe('hello big world');
    expect(scriptPath!.startsWith(join(t.cacheDir, 'scripts'))).toBe(true);
    expect(r.retcode).toBe(0);
    await expect(callFunction(t.ctx, 'file.exists', [scriptPath])).resolves.toEqual({ ret: false });
  });

  it('refuses a source that is not a brine:// URL', async () => {
    await expect(callFunction(t.ctx, 'cmd.script', ['/etc/passwd'])).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
    });
    await expect(callFunction(t.ctx, 'cmd.script', ['brine://../x.sh'])).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
    });
  });
});

describe('cmd.script with runas', () => {
  it('runs the script as that user', async () => {
    await writeFile(join(t.fileRoot, 'whoami.sh'), '#!/bin/sh\nid -un\n');
    const r = await callFunction(t.ctx, 'cmd.script', ['brine://whoami.sh'], { runas: 'nobody' });
    expect(r).toMatchObject({ ret: { stdout: 'nobody', retcode: 0 } });
  });
});
