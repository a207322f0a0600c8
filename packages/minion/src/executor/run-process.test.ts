import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { directSpawner, withSpawner, type ProcessSpawner } from './process-spawner.js';
import { runProcess as runOne, type OutputStream, type ProcessOptions } from './run-process.js';
import { createHelperSpawner } from './spawner-helper.js';

const MiB = 1024 * 1024;

/** Live (non-zombie) processes whose process group is `pgid`, read from /proc. */
function liveInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state, ppid, pgrp, ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') found.push(Number(entry));
  }
  return found;
}

async function expectGroupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 50 && liveInGroup(pgid).length > 0; i++) await sleep(100);
  expect(liveInGroup(pgid)).toEqual([]);
}

// Every behaviour holds whether this process starts the command or a swarm's helper does (issue #17).
const helper = createHelperSpawner();
afterAll(() => helper.close());

describe.each([
  ['directly', directSpawner],
  ['through the spawner helper', helper],
] as [string, ProcessSpawner][])('runProcess %s', (_how, spawner) => {
  const runProcess = (o: ProcessOptions) => withSpawner(spawner, () => runOne(o));
  it('returns stdout, stderr and the exit code', async () => {
    const r = await runProcess({ argv: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], maxOutputBytes: MiB });
    expect(r).toMatchObject({ stdout: 'out\n', stderr: 'err\n', retcode: 3, truncated: false, timedOut: false });
    expect(r.pid).toBeGreaterThan(0);
  });

  it('passes stdin, cwd and env, and clears the environment on request', async () => {
    const r = await runProcess({
      argv: ['/bin/sh', '-c', 'read line; echo "$line $PWD $GREETING ${HOME:-nohome}"'],
      stdin: 'typed\n',
      cwd: '/tmp',
      env: { GREETING: 'hi', PATH: '/usr/bin:/bin' },
      clearEnv: true,
      maxOutputBytes: MiB,
    });
    expect(r.stdout).toBe('typed /tmp hi nohome\n');
  });

  it('runs the program directly, never through a shell', async () => {
    const r = await runProcess({ argv: ['/bin/echo', '$(id)', ';', '`id`'], maxOutputBytes: MiB });
    expect(r.stdout).toBe('$(id) ; `id`\n');
  });

  it('rejects with ERR_MINION_SPAWN_FAILED for a missing program or working directory', async () => {
    await expect(runProcess({ argv: ['/nonexistent/prog'], maxOutputBytes: MiB })).rejects.toMatchObject({
      code: 'ERR_MINION_SPAWN_FAILED',
      data: { errno: 'ENOENT' },
    });
    await expect(runProcess({ argv: ['/bin/true'], cwd: '/nonexistent', maxOutputBytes: MiB })).rejects.toMatchObject({
      code: 'ERR_MINION_SPAWN_FAILED',
      message: expect.stringContaining('working directory'),
    });
  });

  it('rejects with ERR_MINION_CANCELLED and starts nothing when the signal is already aborted', async () => {
    const signal = AbortSignal.abort();
    await expect(runProcess({ argv: ['/bin/true'], signal, maxOutputBytes: MiB })).rejects.toMatchObject({
      code: 'ERR_MINION_CANCELLED',
    });
  });

  it('switches to the given uid and gid', async () => {
    const r = await runProcess({ argv: ['/usr/bin/id', '-u'], uid: 65534, gid: 65534, maxOutputBytes: MiB });
    expect(r.stdout.trim()).toBe('65534');
  });

  it('kills the whole process group on timeout, leaving no process behind', async () => {
    const started = Date.now();
    const r = await runProcess({
      argv: ['/bin/sh', '-c', 'sleep 600 & sleep 600'],
      timeoutMs: 300,
      maxOutputBytes: MiB,
    });
    expect(r).toMatchObject({ timedOut: true, cancelled: false, signal: 'SIGTERM', retcode: 143 });
    expect(Date.now() - started).toBeLessThan(5000);
    await expectGroupGone(r.pid);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const r = await runProcess({
      argv: ['/bin/sh', '-c', 'trap "" TERM; sleep 600 & sleep 600'],
      timeoutMs: 200,
      killGraceMs: 300,
      maxOutputBytes: MiB,
    });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', retcode: 137 });
    await expectGroupGone(r.pid);
  });

  it('kills the whole process group when the abort signal fires', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await runProcess({
      argv: ['/bin/sh', '-c', 'sleep 600 & sleep 600'],
      signal: controller.signal,
      maxOutputBytes: MiB,
    });
    expect(r).toMatchObject({ cancelled: true, timedOut: false, signal: 'SIGTERM' });
    await expectGroupGone(r.pid);
  });

  it('caps 100 MiB of output at maxOutputBytes with flat memory', async () => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const r = await runProcess({ argv: ['/usr/bin/head', '-c', String(100 * MiB), '/dev/zero'], maxOutputBytes: MiB });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(r.truncated).toBe(true);
    expect(r.retcode).toBe(0);
    expect(r.stdout.length).toBe(MiB);
    expect(peak - before).toBeLessThan(50 * MiB);
  });

  it('streams output line by line while the command runs', async () => {
    const seen: { stream: OutputStream; chunk: string; at: number }[] = [];
    const r = await runProcess({
      argv: ['/bin/sh', '-c', 'printf "one\\ntw"; sleep 0.3; printf "o\\n"; echo err >&2; sleep 0.3; printf tail'],
      maxOutputBytes: MiB,
      onOutput: (stream, chunk) => seen.push({ stream, chunk, at: Date.now() }),
    });
    const done = Date.now();
    expect(seen.filter((s) => s.stream === 'stdout').map((s) => s.chunk)).toEqual(['one\n', 'two\n', 'tail']);
    expect(seen.filter((s) => s.stream === 'stderr').map((s) => s.chunk)).toEqual(['err\n']);
    expect(done - seen[0]!.at).toBeGreaterThanOrEqual(400);
    expect(r.stdout).toBe('one\ntwo\ntail');
  });

  it('returns soon after the program exits even when a background child holds the pipes', async () => {
    const started = Date.now();
    const r = await runProcess({ argv: ['/bin/sh', '-c', 'sleep 30 & echo done'], maxOutputBytes: MiB });
    expect(r).toMatchObject({ stdout: 'done\n', retcode: 0, timedOut: false });
    expect(Date.now() - started).toBeLessThan(5000);
    process.kill(-r.pid, 'SIGKILL');
    await expectGroupGone(r.pid);
  });

  it('decodes a UTF-8 character split across chunks', async () => {
    const r = await runProcess({
      argv: ['/bin/sh', '-c', "printf '\\303'; sleep 0.2; printf '\\251\\n'"],
      maxOutputBytes: MiB,
    });
    expect(r.stdout).toBe('é\n');
  });

  it('drops a character cut by the cap instead of mangling it', async () => {
    const r = await runProcess({ argv: ['/usr/bin/printf', 'aaé'], maxOutputBytes: 3 });
    expect(r).toMatchObject({ stdout: 'aa', truncated: true });
  });
});

describe('the spawner helper', () => {
  it('starts commands from its own process, not from the caller', async () => {
    const r = await runOne({ argv: ['/bin/sh', '-c', 'echo $PPID'], spawner: helper, maxOutputBytes: MiB });
    expect(Number(r.stdout)).toBe(helper.helperPid());
    expect(helper.helperPid()).not.toBe(process.pid);
  });

  it('starts the commands of a job run inside withSpawner, across awaits', async () => {
    const r = await withSpawner(helper, async () => {
      await sleep(10);
      return runOne({ argv: ['/bin/sh', '-c', 'echo $PPID'], maxOutputBytes: MiB });
    });
    expect(Number(r.stdout)).toBe(helper.helperPid());
    const direct = await runOne({ argv: ['/bin/sh', '-c', 'echo $PPID'], maxOutputBytes: MiB });
    expect(Number(direct.stdout)).toBe(process.pid);
  });

  it('is started again for the next command after it died', async () => {
    const own = createHelperSpawner();
    try {
      const first = own.helperPid()!;
      process.kill(first, 'SIGKILL');
      for (let i = 0; i < 50 && own.helperPid() === first; i++) await sleep(100);
      const r = await runOne({ argv: ['/bin/sh', '-c', 'echo $PPID'], spawner: own, maxOutputBytes: MiB });
      expect(Number(r.stdout)).toBe(own.helperPid());
      expect(own.helperPid()).not.toBe(first);
    } finally {
      own.close();
    }
  });

  it('settles a command in flight when it dies, rather than hang', async () => {
    const own = createHelperSpawner();
    try {
      const running = runOne({ argv: ['/bin/sleep', '0.5'], spawner: own, maxOutputBytes: MiB });
      process.kill(own.helperPid()!, 'SIGKILL');
      // Started or not when the helper died, the call settles rather than hangs.
      await expect(running.then((r) => r.retcode).catch((e: { code: string }) => e.code)).resolves.toSatisfy(
        (v: unknown) => v === 'ERR_MINION_SPAWN_FAILED' || v === 0 || v === 1,
      );
    } finally {
      own.close();
    }
  });
});

describe('minion sources', () => {
  it('never run a shell implicitly: no exec/execSync import and no shell: true', async () => {
    const { readdir, readFile: read } = await import('node:fs/promises');
    const root = new URL('..', import.meta.url).pathname;
    const offenders: string[] = [];
    for (const name of await readdir(root, { recursive: true })) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
      const text = await read(root + name, 'utf8');
      if (/shell:\s*true/.test(text) || /\b(exec|execSync)\b[^;]*from 'node:child_process'/.test(text)) {
        offenders.push(name);
      }
    }
    expect(offenders).toEqual([]);
  });
});
