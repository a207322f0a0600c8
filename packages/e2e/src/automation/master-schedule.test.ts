/**
 * The master scheduler across a restart, with real processes: a schedule added with brine-run
 * runs as the scheduler identity, survives a master killed with SIGKILL, the fires missed while
 * it was down are reported (not run late), and the schedule goes on after the restart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';

let cluster: Cluster;
const brineRun = (...args: string[]) => cluster.cli(BIN.brineRun, args);

interface Listed {
  jid: string;
  fun: string;
  user: string;
  startedAt: number;
}

async function schedulerJobs(): Promise<Listed[]> {
  const { body } = await cluster.api<{ jobs: Listed[] }>('GET', '/api/v1/jobs?user=scheduler&limit=100');
  return body.jobs;
}

beforeAll(async () => {
  cluster = await new Cluster({ minions: ['sched-1'], master: { acl: { scheduler: ['test.*'] } } }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('master schedule', () => {
  it('runs, survives a master crash, reports the missed fires and goes on', async () => {
    const add = await brineRun('schedule.add', 'pinger', 'function=test.ping', 'target=sched-1', 'seconds=2');
    expect(add.code, add.stderr).toBe(0);
    await waitFor(async () => (await schedulerJobs()).length >= 1, 20_000, 'a scheduled job');

    await cluster.killMaster('SIGKILL');
    const killedAt = Date.now();
    // Wall time has to pass for fires to be missed: three intervals.
    await waitFor(() => Date.now() - killedAt > 6000, 10_000, 'time to pass');
    await cluster.startMaster();

    const list = await brineRun('schedule.list', '--out', 'json');
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ pinger: { function: 'test.ping', seconds: 2, source: 'runtime' } });

    const log = () =>
      readFileSync(join(cluster.dir, 'master.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('schedule fires missed'))
        .map((l) => JSON.parse(l) as { name: string; count: number });
    await waitFor(() => log().length > 0, 10_000, 'the missed-fires line');
    expect(log()[0]).toMatchObject({ name: 'pinger' });
    expect(log()[0]!.count).toBeGreaterThanOrEqual(2);

    const restartedAt = Date.now();
    await waitFor(
      async () => (await schedulerJobs()).some((j) => j.startedAt >= restartedAt),
      20_000,
      'a scheduled job after the restart',
    );
    // Not run late: missed fires run at once would start within milliseconds of each other;
    // fires on the schedule's grid are two seconds apart.
    const starts = (await schedulerJobs())
      .filter((j) => j.startedAt >= killedAt)
      .map((j) => j.startedAt)
      .sort((a, b) => a - b);
    expect(starts.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(1000);
  });
});
