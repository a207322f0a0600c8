import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@brine/testing';
import { logRecords, masterLog, minionLog, runJob } from './fixtures.js';

// Issue 13 finding 9: jobs.sqlite and its WAL were created 0644 (job arguments and outputs,
// secrets included), an existing state dir with wide permissions was left so, and the minion's
// cache/ was 0755. Both daemons start here on state dirs an old umask left at 0755.
const ID = 'modes-m1';
let cluster: Cluster;

const modeOf = (path: string) => statSync(path).mode & 0o777;

beforeAll(async () => {
  cluster = new Cluster({ minions: [ID] });
  const minionDir = join(cluster.dir, 'minions', ID);
  for (const dir of [cluster.masterDir, minionDir, join(minionDir, 'cache')]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
  }
  await cluster.start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('files of the master and the minion', () => {
  it('keeps the job cache, its WAL and SHM at 0600 and both state dirs and the cache at 0700', async () => {
    const job = await runJob(cluster, { target: ID, fun: 'test.echo', args: ['a secret argument'] });
    expect(job.minions[ID]?.outcome).toBe('returned');
    const db = join(cluster.masterDir, 'jobs.sqlite');
    for (const f of [db, `${db}-wal`, `${db}-shm`]) {
      expect(existsSync(f)).toBe(true);
      expect([f, modeOf(f).toString(8)]).toEqual([f, '600']);
    }
    const minionDir = join(cluster.dir, 'minions', ID);
    for (const d of [cluster.masterDir, minionDir, join(minionDir, 'cache')])
      expect([d, modeOf(d).toString(8)]).toEqual([d, '700']);
  });

  it('warns at start about each state directory it tightened', () => {
    expect(logRecords(masterLog(cluster), 'state file or directory was readable by others; tightened')).toEqual([
      expect.objectContaining({ path: cluster.masterDir, mode: '755' }),
    ]);
    const dirs = logRecords(minionLog(cluster, ID), 'state directory was readable by others; tightened to 0700').map(
      (r) => r['dir'],
    );
    expect(dirs).toEqual([join(cluster.dir, 'minions', ID), join(cluster.dir, 'minions', ID, 'cache')]);
  });
});
