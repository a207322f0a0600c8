/**
 * A minion's own schedule across a master outage, with real processes: runs go on while the
 * master is killed, their returns wait in the minion's outbox, and once the master is back each
 * run is in the job cache exactly once (the master records it under a jid of its own).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';

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
});
