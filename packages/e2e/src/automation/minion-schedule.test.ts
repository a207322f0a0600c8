/**
 * A minion's own schedule across a master outage, with real processes: runs go on while the
 * master is killed, their returns wait in the minion's outbox, and once the master is back each
 * run is in the job cache exactly once (the master records it under a jid of its own). A run
 * cut short by a minion restart is stored as interrupted, and the slots the minion missed while
 * it was stopped are reported on the bus (issue #19).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';
import { startCli } from '../cli-helpers.js';

let cluster: Cluster;

interface Listed {
  jid: string;
  fun: string;
  user: string;
  startedAt: number;
}

async function scheduledJobs(): Promise<Listed[]> {
  const { body } = await cluster.api<{ jobs: Listed[] }>('GET', '/api/v1/jobs?user=minion:ms-1&limit=500');
  return body.jobs;
}

/** The minion's own log: jids of the scheduled runs it started. */
function runsStarted(): string[] {
  return readFileSync(join(cluster.dir, 'minion-ms-1.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('scheduled job started'))
    .map((l) => (JSON.parse(l) as { jid: string }).jid);
}

beforeAll(async () => {
  cluster = await new Cluster({
    minions: ['ms-1'],
    minion: { schedule: { tick: { function: 'test.echo', args: ['tick'], seconds: 1 } } },
  }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('minion schedule', () => {
  it('runs while the master is down; each run reaches the job cache once when it is back', async () => {
    await waitFor(async () => (await scheduledJobs()).length >= 1, 20_000, 'a scheduled run in the job cache');

    await cluster.killMaster('SIGKILL');
    const before = runsStarted().length;
    await waitFor(() => runsStarted().length >= before + 3, 20_000, 'three runs while the master is down');
    await cluster.startMaster();
    await cluster.waitConnected(['ms-1']);

    // Stop the schedule, then every run it made must be in the cache, once.
    const off = await cluster.cli(BIN.brine, ['ms-1', 'schedule.disable_job', 'tick']);
    expect(off.code, off.stdout + off.stderr).toBe(0);
    const runs = new Set(runsStarted());
    await waitFor(async () => (await scheduledJobs()).length >= runs.size, 30_000, 'every run in the job cache');
    const jobs = await scheduledJobs();
    expect(jobs).toHaveLength(runs.size);
    expect(jobs.every((j) => j.fun === 'test.echo')).toBe(true);
    const one = await cluster.api<{ minions: { id: string; outcome: string; ret: unknown }[] }>(
      'GET',
      `/api/v1/jobs/${jobs[0]!.jid}`,
    );
    expect(one.body.minions).toEqual([expect.objectContaining({ id: 'ms-1', outcome: 'returned', ret: 'tick' })]);
  });

  it('runs a schedule added with a cron expression, and refuses a bad one', async () => {
    const bad = await cluster.cli(BIN.brine, ['ms-1', 'schedule.add', 'bad', 'function=test.ping', 'cron=99 * * * *']);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('invalid cron expression');
    // Every two seconds, on the even second (6 fields: seconds first).
    const add = await cluster.cli(BIN.brine, [
      'ms-1',
      'schedule.add',
      'crontick',
      'function=test.echo',
      "args=['cron']",
      'cron=*/2 * * * * *',
    ]);
    expect(add.code, add.stdout + add.stderr).toBe(0);
    const cronRuns = async () => {
      const ids = (await scheduledJobs()).map((j) => j.jid);
      const rets = await Promise.all(
        ids.map(
          async (jid) =>
            (await cluster.api<{ minions: { ret: unknown }[] }>('GET', `/api/v1/jobs/${jid}`)).body.minions[0]?.ret,
        ),
      );
      return rets.filter((r) => r === 'cron').length;
    };
    await waitFor(async () => (await cronRuns()) >= 2, 30_000, 'two cron runs in the job cache');
    const off = await cluster.cli(BIN.brine, ['ms-1', 'schedule.disable_job', 'crontick']);
    expect(off.code, off.stdout + off.stderr).toBe(0);
  });

  it('stores a run cut short by a minion restart as interrupted, and reports the slots missed meanwhile', async () => {
    const events = startCli(cluster, BIN.brine, ['events', '--json', 'brine/minion/ms-1/schedule/*'], 90_000);
    try {
      const ok = async (args: string[]) => {
        const r = await cluster.cli(BIN.brine, ['ms-1', ...args]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
      };
      await ok(['schedule.add', 'sleeper', 'function=test.sleep', 'args=[60]', 'hours=1']);
      await ok(['schedule.add', 'secs', 'function=test.ping', 'cron=* * * * * *']);
      await ok(['schedule.run_job', 'sleeper']);
      const jobsOf = async (fun: string) => (await scheduledJobs()).filter((j) => j.fun === fun);
      // The sleeper is running (its record exists once the minion logged it) when the minion
      // dies, and the every-second schedule has fired once (a schedule that never fired has no
      // last slot to count missed slots from).
      await waitFor(
        () => {
          const log = readFileSync(join(cluster.dir, 'minion-ms-1.log'), 'utf8');
          return log.includes('"fun":"test.sleep"') && /"schedule":"secs","msg":"scheduled job started"/.test(log);
        },
        10_000,
        'the sleeper started and secs fired',
      );
      await cluster.killMinion('ms-1', 'SIGKILL');
      const killedAt = Date.now();
      // Slots of the every-second schedule pass while the minion is stopped.
      await waitFor(() => Date.now() - killedAt >= 2_500, 10_000, 'two slots missed');
      cluster.startMinion('ms-1');
      await cluster.waitConnected(['ms-1']);

      await waitFor(async () => (await jobsOf('test.sleep')).length === 1, 30_000, 'the interrupted run stored');
      const [sleeper] = await jobsOf('test.sleep');
      const one = await cluster.api<{ minions: { id: string; outcome: string }[] }>(
        'GET',
        `/api/v1/jobs/${sleeper!.jid}`,
      );
      expect(one.body.minions).toEqual([expect.objectContaining({ id: 'ms-1', outcome: 'interrupted' })]);

      const missed = await events.waitFor(/^\{.*"tag":"brine\/minion\/ms-1\/schedule\/secs\/missed".*$/m, 30_000);
      const report = (JSON.parse(missed[0]) as { data: { name: string; count: number } }).data;
      expect(report.name).toBe('secs');
      expect(report.count).toBeGreaterThanOrEqual(2);
      await ok(['schedule.delete', 'secs']);
    } finally {
      events.kill();
    }
  });
});
