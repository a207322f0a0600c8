import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';
import { jsonJob, startCli } from './cli-helpers.js';

// j1..j4 run the jobs; z-paused is stopped with SIGSTOP for [no ack], z-gone is killed for [offline].
// A short ack timeout makes [no ack] quick; a long heartbeat keeps the master from dropping the
// stopped minion before that (it would then be "disconnected before ack").
const workers = ['j1', 'j2', 'j3', 'j4'];
let cluster: Cluster;
const brine = (...args: string[]) => cluster.cli(BIN.brine, args);
const brineRun = (...args: string[]) => cluster.cli(BIN.brineRun, args);

beforeAll(async () => {
  cluster = new Cluster({
    minions: [...workers, 'z-paused', 'z-gone'],
    master: { ack_timeout_ms: 1500, heartbeat_ms: 5000 },
  });
  await cluster.start();
});
afterAll(async () => {
  cluster?.minions.get('z-paused')?.kill('SIGCONT');
  await cluster?.stop();
});

/** `date +%s%N` printed by each minion, in ms, sorted. */
function startTimes(stdout: string): number[] {
  const doc = JSON.parse(stdout) as { minions: Record<string, { ret: string }> };
  return Object.values(doc.minions)
    .map((m) => Number(BigInt(m.ret.split('\n')[0]!) / 1_000_000n))
    .sort((a, b) => a - b);
}

describe('brine job control flags against real minions', () => {
  it('reports a minion that outruns -t as timed out and exits 2', async () => {
    const r = await brine('j1', 'cmd.run', 'sleep 5; echo late', '-t', '1');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^j1:\n {4}Minion did not return\. \[timed out after 1(\.\d)? s[^\]]*\]\n$/);
  });

  it('runs at most N minions at once with -b N', async () => {
    const r = await brine('j*', 'cmd.run', 'date +%s%N; sleep 0.5', '-b', '2', '--out', 'json');
    expect(r.code).toBe(0);
    const t = startTimes(r.stdout);
    expect(t).toHaveLength(4);
    // Each run takes 500 ms: the third start must wait for one of the first two to finish.
    for (let i = 0; i + 2 < t.length; i++) expect(t[i + 2]! - t[i]!).toBeGreaterThanOrEqual(450);
    // And two do run together, in pairs.
    expect(t[1]! - t[0]!).toBeLessThan(450);
    expect(t[3]! - t[2]!).toBeLessThan(450);
  });

  it('reads -b N% as a share of the targeted minions', async () => {
    const r = await brine('j*', 'cmd.run', 'date +%s%N; sleep 0.5', '-b', '25%', '--out', 'json');
    expect(r.code).toBe(0);
    const t = startTimes(r.stdout);
    for (let i = 0; i + 1 < t.length; i++) expect(t[i + 1]! - t[i]!).toBeGreaterThanOrEqual(450);
  });

  it('waits --batch-wait seconds after a minion finishes before starting the next', async () => {
    const r = await brine('-L', 'j1,j2,j3', 'cmd.run', 'date +%s%N', '-b', '1', '--batch-wait', '0.3', '--out', 'json');
    expect(r.code).toBe(0);
    const t = startTimes(r.stdout);
    for (let i = 0; i + 1 < t.length; i++) expect(t[i + 1]! - t[i]!).toBeGreaterThanOrEqual(290);
  });

  it('starts no new minion after a failure with --failhard, and exits 1', async () => {
    const r = await brine('j*', 'cmd.run', 'echo failing; exit 1', '-b', '1', '--failhard', '--out', 'json');
    expect(r.code).toBe(1);
    const results = Object.values(jsonJob(r).minions);
    expect(results.filter((m) => m.outcome === 'returned')).toEqual([
      expect.objectContaining({ success: false, retcode: 1, ret: 'failing' }),
    ]);
    expect(results.filter((m) => m.outcome === 'cancelled' && m.reason === 'failhard')).toHaveLength(3);
    expect(r.stderr).toContain('Minions returned with non-zero exit code');

    const nested = await brine('-L', 'j1,j2', 'cmd.run', 'exit 1', '-b', '1', '--failhard');
    expect(nested.code).toBe(1);
    expect(nested.stdout).toContain('Minion did not return. [cancelled by --failhard]');
  });

  it('finishes after --first N successes, cancels the rest and exits 0', async () => {
    // The first minion to make the directory returns at once; the others sleep and are cancelled.
    const lock = join(cluster.dir, 'first-lock');
    const started = Date.now();
    const cmd = `mkdir ${lock} 2>/dev/null && echo winner && exit 0; sleep 60`;
    const r = await brine('j*', 'cmd.run', cmd, '--first', '1', '-v');
    expect(r.code).toBe(0);
    // Long before the losers' sleep would end: they were cancelled, not waited for.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stdout).toMatch(/^jid: \d{20}\n/);
    expect(r.stdout.match(/^ {4}winner$/gm)).toHaveLength(1);
    expect(r.stdout.match(/Minion did not return\. \[cancelled, --first reached\] \(first_reached\)/g)).toHaveLength(3);
  });

  it('re-runs a failed function with --retries N after --retry-delay', async () => {
    // Fails the first time on each minion and succeeds the second: the marker is per minion
    // process ($PPID is the minion that spawned the shell), and every minion shares this host.
    const marker = join(cluster.dir, 'retry-$PPID');
    const cmd = `test -e ${marker} && echo second && exit 0; touch ${marker}; echo first; exit 1`;
    const retry = ['--retries', '1', '--retry-delay', '0.2', '-t', '3', '--out', 'json'];
    const r = await brine('-L', 'j1,j2', 'cmd.run', cmd, ...retry);
    expect(jsonJob(r).minions).toEqual({
      j1: expect.objectContaining({ outcome: 'returned', success: true, ret: 'second' }),
      j2: expect.objectContaining({ outcome: 'returned', success: true, ret: 'second' }),
    });
    expect(r.code).toBe(0);

    const noRetry = await brine('j3', 'cmd.run', cmd, '--retries', '0');
    expect(noRetry.code).toBe(1);
    expect(noRetry.stdout).toBe('j3:\n    first\n');
  });

  it('prints only the jid with --async; brine-run jobs.lookup then shows the returns', async () => {
    const r = await brine('j*', 'test.echo', 'later', '--async');
    expect(r.code).toBe(0);
    const jid = /^Executed command with job ID: (\d{20})\n$/.exec(r.stdout)?.[1];
    expect(jid).toBeDefined();
    const lookup = await waitFor(async () => {
      const l = await brineRun('jobs.lookup', jid!, '--out', 'json');
      const doc = JSON.parse(l.stdout) as Record<string, unknown>;
      return Object.values(doc).every((v) => v === 'later') ? l : undefined;
    }, 10_000);
    expect(JSON.parse(lookup.stdout)).toEqual({ j1: 'later', j2: 'later', j3: 'later', j4: 'later' });
    const nested = await brineRun('jobs.lookup', jid!);
    expect(nested.stdout).toContain('j1:\n    later\n');
  });

  it("prints a command's lines with --stream as they come, before the job ends", async () => {
    const live = startCli(cluster, BIN.brine, ['j2', 'cmd.run', 'echo one; sleep 1; echo two', '--stream']);
    await live.waitFor(/^j2 \| one$/m);
    const firstLineAt = Date.now();
    expect(live.stdout()).not.toContain('two');
    const r = await live.done;
    expect(r.code).toBe(0);
    expect(r.exitedAt - firstLineAt).toBeGreaterThan(300);
    expect(r.stdout).toBe('j2 | one\nj2 | two\nj2:\n    one\n    two\n');
  });

  it('reports a job killed with brine-run jobs.kill as [cancelled] and exits 2', async () => {
    const live = startCli(cluster, BIN.brine, ['-L', 'j3,j4', 'cmd.run', 'sleep 10; echo finished', '--show-jid']);
    const jid = (await live.waitFor(/^jid: (\d{20})$/m))[1]!;
    await waitFor(async () => {
      const active = await brineRun('jobs.active', '--out', 'json');
      return (JSON.parse(active.stdout) as { jid: string }[]).some((j) => j.jid === jid);
    });
    const kill = await brineRun('jobs.kill', jid);
    expect(kill).toMatchObject({ code: 0, stdout: `jid:\n    ${jid}\ncancelled:\n    True\n` });
    const r = await live.done;
    expect(r.code).toBe(2);
    expect(r.stdout.startsWith(`jid: ${jid}\n`)).toBe(true);
    for (const id of ['j3', 'j4']) expect(r.stdout).toContain(`${id}:\n    Minion did not return. [cancelled]\n`);
    expect(r.stdout).not.toContain('finished');
  });

  it('reports a connected minion that does not acknowledge as [no ack]', async () => {
    const paused = cluster.minions.get('z-paused')!;
    paused.kill('SIGSTOP');
    try {
      const r = await brine('-L', 'j1,z-paused', 'test.ping', '-v');
      expect(r.code).toBe(2);
      expect(r.stdout).toContain('z-paused:\n    Minion did not return. [no ack] (ack_timeout)\n');
      expect(r.stdout).toContain('j1:\n    True\n');
    } finally {
      paused.kill('SIGCONT');
    }
  });

  it('reports a stopped minion as [offline] at once, and --hide-timeout hides it but still exits 2', async () => {
    await cluster.killMinion('z-gone');
    await waitFor(async () => !(await cluster.connected()).includes('z-gone'), 5000, 'the master to see z-gone leave');
    const r = await brine('-L', 'j1,z-gone', 'test.ping');
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('z-gone:\n    Minion did not return. [offline]\n');
    // At once: the master does not wait out the 1.5 s ack timeout for a minion it knows is gone.
    const json = jsonJob(await brine('-L', 'j1,z-gone', 'test.ping', '--out', 'json'));
    expect(json.minions['z-gone']).toMatchObject({ outcome: 'offline', reason: 'not_connected' });
    expect(json.summary.durationMs).toBeLessThan(1000);
    const verbose = await brine('-L', 'j1,z-gone', 'test.ping', '-v');
    expect(verbose.stdout).toContain('[offline] (not_connected)');
    const hidden = await brine('-L', 'j1,z-gone', 'test.ping', '--hide-timeout');
    expect(hidden).toMatchObject({ code: 2, stdout: 'j1:\n    True\n' });
  });
});
