import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, REPO_ROOT, waitFor } from '@brine/testing';
import { jsonJob, startCli } from './cli-helpers.js';

// r1..r3 answer; r-gone is killed for manage.down.
let cluster: Cluster;
let localDir: string;
const brine = (...args: string[]) => cluster.cli(BIN.brine, args);
const brineRun = (...args: string[]) => cluster.cli(BIN.brineRun, args);
const brineCall = (...args: string[]) => cluster.cli(BIN.brineCall, args);
const runJson = async <T>(...args: string[]): Promise<T> => {
  const r = await brineRun(...args, '--out', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

interface Listed {
  jid: string;
  fun: string;
  target: string | string[];
  user: string;
  startedAt: number;
  targeted: number;
}

beforeAll(async () => {
  cluster = await new Cluster({ minions: ['r1', 'r2', 'r3', 'r-gone'] }).start();
  localDir = mkdtempSync(join(tmpdir(), 'brine-call-'));
});
afterAll(async () => {
  await cluster?.stop();
  if (localDir) rmSync(localDir, { recursive: true, force: true });
});

describe('brine-run jobs.*', () => {
  let pingJid: string;
  let echoJid: string;
  let ghostJid: string;

  beforeAll(async () => {
    pingJid = jsonJob(await brine('r*', 'test.ping', '--out', 'json')).jid;
    echoJid = jsonJob(await brine('-L', 'r1,r2', 'cmd.run', 'echo listed', '--out', 'json')).jid;
    ghostJid = jsonJob(await brine('-L', 'r1,ghost', 'test.ping', '--out', 'json')).jid;
  });

  it('jobs.list lists recent jobs by jid, newest first', async () => {
    const jobs = await runJson<Record<string, Listed>>('jobs.list');
    const jids = Object.keys(jobs);
    expect(jids).toEqual(expect.arrayContaining([pingJid, echoJid, ghostJid]));
    expect(jids.indexOf(ghostJid)).toBeLessThan(jids.indexOf(pingJid));
    expect(jobs[echoJid]).toMatchObject({ jid: echoJid, fun: 'cmd.run', target: ['r1', 'r2'], targeted: 2 });
    const nested = await brineRun('jobs.list', 'limit=1');
    expect(nested.stdout).toMatch(/^\d{20}:\n {4}-{10}\n {4}jid:\n {8}\d{20}\n {4}fun:\n/);
  });

  it('jobs.list filters by fun, target, user, time, limit and offset', async () => {
    const byFun = await runJson<Record<string, Listed>>('jobs.list', 'fun=cmd.*');
    expect(Object.values(byFun).map((j) => j.fun)).toEqual(expect.arrayContaining(['cmd.run']));
    expect(Object.values(byFun).every((j) => j.fun.startsWith('cmd.'))).toBe(true);
    expect(Object.keys(byFun)).toContain(echoJid);

    const byTarget = await runJson<Record<string, Listed>>('jobs.list', 'target=r1,ghost');
    expect(Object.keys(byTarget)).toEqual([ghostJid]);

    const user = (await runJson<Record<string, Listed>>('jobs.list', 'limit=1'))[ghostJid]!.user;
    expect(Object.keys(await runJson('jobs.list', `user=${user}`))).toContain(pingJid);
    expect(await runJson('jobs.list', 'user=nobody-at-all')).toEqual({});

    const since = (await runJson<Record<string, Listed>>('jobs.list'))[echoJid]!.startedAt;
    const recent = Object.keys(await runJson('jobs.list', `since=${since}`));
    expect(recent).toContain(echoJid);
    expect(recent).not.toContain(pingJid);
    expect(Object.keys(await runJson('jobs.list', `until=${since}`))).not.toContain(echoJid);

    expect(Object.keys(await runJson('jobs.list', 'limit=1'))).toEqual([ghostJid]);
    expect(Object.keys(await runJson('jobs.list', 'limit=1', 'offset=1'))).toEqual([echoJid]);
  });

  it('jobs.lookup shows every targeted minion, including one that never returned', async () => {
    expect(await runJson('jobs.lookup', echoJid)).toEqual({ r1: 'listed', r2: 'listed' });
    const ghost = await runJson<Record<string, unknown>>('jobs.lookup', ghostJid);
    expect(ghost).toEqual({ r1: true, ghost: 'Minion did not return. [offline, unknown minion]' });
    const nested = await brineRun('jobs.lookup', `jid=${ghostJid}`);
    expect(nested.stdout).toContain('ghost:\n    Minion did not return. [offline, unknown minion]\n');
    expect(nested.stdout).toContain('r1:\n    True\n');
  });

  it('jobs.lookup exits 64 for an unknown jid and without one', async () => {
    const unknown = await brineRun('jobs.lookup', '20000101000000000000');
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/^brine-run: no (active )?job 20000101000000000000\n$/);
    expect((await brineRun('jobs.lookup')).code).toBe(64);
  });

  it('jobs.active lists a running job, jobs.kill cancels it, and it leaves the list', async () => {
    const r = await brine('r3', 'cmd.run', 'sleep 10', '--async');
    const jid = /job ID: (\d{20})/.exec(r.stdout)![1]!;
    const active = await waitFor(async () => {
      const jobs = await runJson<{ jid: string; fun: string; minions: number }[]>('jobs.active');
      return jobs.find((j) => j.jid === jid);
    });
    expect(active).toMatchObject({ jid, fun: 'cmd.run', minions: 1 });

    expect(await runJson('jobs.kill', jid)).toEqual({ jid, cancelled: true });
    await waitFor(async () => !(await runJson<{ jid: string }[]>('jobs.active')).some((j) => j.jid === jid));
    expect(await runJson('jobs.lookup', jid)).toEqual({ r3: 'Minion did not return. [cancelled]' });

    const again = await brineRun('jobs.kill', jid);
    expect(again.code).toBe(64);
    expect(again.stderr).toContain(`no active job ${jid}`);
  });
});

describe('brine-run manage.*', () => {
  beforeAll(async () => {
    await cluster.killMinion('r-gone');
    await waitFor(async () => !(await cluster.connected()).includes('r-gone'), 5000, 'the master to see r-gone leave');
  });

  it('manage.up lists the connected minions', async () => {
    expect(await runJson('manage.up')).toEqual(['r1', 'r2', 'r3']);
    expect((await brineRun('manage.up')).stdout).toBe('- r1\n- r2\n- r3\n');
  });

  it('manage.down lists the accepted minions that are not connected', async () => {
    expect(await runJson('manage.down')).toEqual(['r-gone']);
  });

  it('manage.status shows both', async () => {
    expect(await runJson('manage.status')).toEqual({ up: ['r1', 'r2', 'r3'], down: ['r-gone'] });
    expect((await brineRun('manage.status')).stdout).toBe('up:\n    - r1\n    - r2\n    - r3\ndown:\n    - r-gone\n');
  });

  it('manage.present lists every minion the master knows', async () => {
    expect(await runJson('manage.present')).toEqual(['r-gone', 'r1', 'r2', 'r3']);
  });
});

describe('brine events', () => {
  it("streams a job's events as JSON lines and stops after --count", async () => {
    // A job on one minion makes four events: new, ack, ret and done. Seven events always hold
    // one job whole, whenever the stream happened to connect during the jobs run below.
    const live = startCli(cluster, BIN.brine, ['events', 'brine/job/*', '--json', '--count', '7']);
    let exited = false;
    void live.done.then(() => (exited = true));
    const jids: string[] = [];
    for (let i = 0; i < 10 && !exited; i++) {
      const r = await brine('r1', 'test.ping', '--out', 'json');
      jids.push(jsonJob(r).jid);
    }
    const done = await live.done;
    expect(done.code).toBe(0);
    const events = done.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { tag: string; data: unknown; stamp: number });
    expect(events).toHaveLength(7);
    const whole = jids.find((jid) => events.some((e) => e.tag === `brine/job/${jid}/new`));
    expect(whole).toBeDefined();
    const tags = events.filter((e) => e.tag.startsWith(`brine/job/${whole}/`)).map((e) => e.tag);
    expect(tags).toEqual([
      `brine/job/${whole}/new`,
      `brine/job/${whole}/ack/r1`,
      `brine/job/${whole}/ret/r1`,
      `brine/job/${whole}/done`,
    ]);
    const ret = events.find((e) => e.tag === `brine/job/${whole}/ret/r1`)!;
    expect(ret.data).toMatchObject({ id: 'r1', outcome: 'returned', ret: true });
    expect(typeof ret.stamp).toBe('number');
  });

  it('prints each event as its tag, a time and the data without --json', async () => {
    const live = startCli(cluster, BIN.brine, ['events', 'brine/job/*/done', '--count', '1']);
    let exited = false;
    void live.done.then(() => (exited = true));
    for (let i = 0; i < 10 && !exited; i++) await brine('r2', 'test.ping');
    const done = await live.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^brine\/job\/\d{20}\/done\t\d{4}-\d\d-\d\dT[\d:.]+Z\n {4}\{.*"targeted":1.*\}\n$/);
  });
});

describe('brine-call', () => {
  const local = (...args: string[]) =>
    cluster.cli(BIN.brineCall, ['--local', '--state-dir', localDir, ...args], {
      env: { BRINE_URL: 'http://127.0.0.1:9' },
    });

  it('runs a function on this host with --local, without a master', async () => {
    const r = await local('test.ping');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\S+:\n {4}True\n$/);
    expect(await local('--id', 'here', 'test.ping')).toMatchObject({ code: 0, stdout: 'here:\n    True\n' });
  });

  it('exits 1 with --local when the command fails, and prints the retcode in --out json', async () => {
    const nested = await local('cmd.run', 'echo oops; exit 3');
    expect(nested.code).toBe(1);
    expect(nested.stdout).toMatch(/^\S+:\n {4}oops\n$/);
    const json = await local('cmd.run', 'echo oops; exit 3', '--out', 'json');
    expect(json.code).toBe(1);
    const doc = jsonJob(json);
    expect(doc).toMatchObject({ jid: 'local', summary: { targeted: 1, failed: 1, success: false } });
    expect(Object.values(doc.minions)).toEqual([
      { outcome: 'returned', success: false, retcode: 3, ret: 'oops', durationMs: expect.any(Number) },
    ]);
  });

  it('gives the same answer with --local from the shipped bundle and through a spawned brine-minion', async () => {
    const bundled = await cluster.cli(
      join(REPO_ROOT, 'packages/cli/dist/bundle/brine-call.mjs'),
      ['--local', '--state-dir', localDir, '--id', 'here', 'test.echo', 'hi'],
      { env: { BRINE_URL: 'http://127.0.0.1:9' } },
    );
    expect(bundled).toMatchObject({ code: 0, stdout: 'here:\n    hi\n' });
    const spawned = await cluster.cli(
      BIN.brineCall,
      ['--local', '--state-dir', localDir, '--id', 'here', 'test.echo', 'hi'],
      {
        env: {
          BRINE_URL: 'http://127.0.0.1:9',
          BRINE_MINION_BIN: join(REPO_ROOT, 'packages/minion/dist/brine-minion.mjs'),
        },
      },
    );
    expect(spawned).toMatchObject({ code: 0, stdout: 'here:\n    hi\n' });
    const missing = await cluster.cli(BIN.brineCall, ['--local', '--state-dir', localDir, 'test.ping'], {
      env: { BRINE_MINION_BIN: join(localDir, 'no-such-minion') },
    });
    expect(missing.code).toBe(70);
    expect(missing.stderr).toContain('cannot run brine-minion for --local');
  });

  it('exits 1 with --local for an unknown function, naming it', async () => {
    const r = await local('nope.nothing');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ERR_FUNCTION_UNKNOWN');
    expect(r.stdout).toContain('nope.nothing');
  });

  it('runs through the master on the minion named by --id', async () => {
    const r = await brineCall('--id', 'r2', 'test.ping');
    expect(r).toMatchObject({ code: 0, stdout: 'r2:\n    True\n' });
    const grains = await brineCall('--id', 'r2', 'grains.item', 'id', '--out', 'json');
    expect(jsonJob(grains).minions['r2']).toMatchObject({ outcome: 'returned', ret: { id: 'r2' } });
    const failed = await brineCall('--id', 'r2', 'cmd.run', 'exit 4');
    expect(failed.code).toBe(1);
  });

  it('exits 2 through the master when the minion is not there', async () => {
    const r = await brineCall('--id', 'ghost', 'test.ping');
    expect(r).toMatchObject({ code: 2, stdout: 'ghost:\n    Minion did not return. [offline, unknown minion]\n' });
  });
});
