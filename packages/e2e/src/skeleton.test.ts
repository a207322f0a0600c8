import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, waitFor } from '@brine/testing';

const ids = ['e2e-a', 'e2e-b', 'e2e-c'];
let cluster: Cluster;

beforeAll(async () => {
  cluster = await new Cluster({ minions: ids }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('one job end to end, through the brine binary', () => {
  it('prints True for every minion on test.ping and exits 0', async () => {
    const run = await cluster.cli(BIN.brine, ['*', 'test.ping']);
    expect(run.code).toBe(0);
    for (const id of ids) expect(run.stdout).toContain(`${id}:\n    True\n`);
  });

  it("prints each minion's cmd.run output and exits 0", async () => {
    const run = await cluster.cli(BIN.brine, ['*', 'cmd.run', 'uname -a']);
    expect(run.code).toBe(0);
    expect(run.stdout.match(/^ {4}Linux /gm)).toHaveLength(3);
  });

  it('exits 1 when a command fails on a minion, and says so on stderr', async () => {
    const run = await cluster.cli(BIN.brine, ['e2e-a', 'cmd.run', 'echo boom; exit 3']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('boom');
    expect(run.stderr).toContain('non-zero exit code');
  });

  it('prints one JSON document with every minion and the summary', async () => {
    const run = await cluster.cli(BIN.brine, ['*', 'test.echo', 'hello', '--out', 'json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      minions: Record<string, { ret: unknown; outcome: string }>;
      summary: { success: boolean; targeted: number };
    };
    expect(doc.summary).toMatchObject({ success: true, targeted: 3 });
    for (const id of ids) expect(doc.minions[id]).toMatchObject({ outcome: 'returned', ret: 'hello' });
  });

  it('exits 3 and publishes nothing when no minion matches', async () => {
    const before = await cluster.api<{ jobs: unknown[] }>('GET', '/api/v1/jobs?limit=1000');
    const run = await cluster.cli(BIN.brine, ['nomatch*', 'test.ping']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('No minions matched the target');
    const after = await cluster.api<{ jobs: unknown[] }>('GET', '/api/v1/jobs?limit=1000');
    expect(after.body.jobs.length).toBe(before.body.jobs.length);
  });

  it('reports a listed minion the master does not know as not returned, and exits 2', async () => {
    const run = await cluster.cli(BIN.brine, ['-L', 'e2e-a,ghost', 'test.ping']);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('ghost:\n    Minion did not return. [offline, unknown minion]');
  });

  it('names the bad flag value and exits 64 on a usage error', async () => {
    const run = await cluster.cli(BIN.brine, ['*', 'test.ping', '-t', 'soon']);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('--timeout');
    expect(run.stderr).toContain('soon');
  });

  it('exits 69 when the master is unreachable', async () => {
    const run = await cluster.cli(BIN.brine, ['*', 'test.ping'], { env: { BRINE_URL: 'http://127.0.0.1:9' } });
    expect(run.code).toBe(69);
    expect(run.stderr).toContain('cannot reach the master');
  });

  it('exits 77 with a wrong token', async () => {
    const run = await cluster.cli(BIN.brine, ['*', 'test.ping'], { env: { BRINE_TOKEN: 'wrong' } });
    expect(run.code).toBe(77);
  });

  it('reports a minion killed mid-job as not returned, exits non-zero, and reports the job interrupted after the minion restarts', async () => {
    const job = cluster.cli(BIN.brine, ['*', 'cmd.run', 'sleep 2; echo done', '-t', '8', '--out', 'json']);
    // Kill e2e-c once the job runs there.
    await waitFor(async () => {
      const active = await cluster.api<{ jobs: { jid: string }[] }>('GET', '/api/v1/jobs/active');
      return active.body.jobs.length > 0;
    });
    await new Promise((r) => setTimeout(r, 500));
    await cluster.killMinion('e2e-c', 'SIGKILL');
    const run = await job;
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as {
      jid: string;
      minions: Record<string, { outcome: string; reason?: string; ret?: unknown }>;
    };
    expect(doc.minions['e2e-a']).toMatchObject({ outcome: 'returned', ret: 'done' });
    expect(doc.minions['e2e-c']).toMatchObject({ outcome: 'timed_out', reason: 'job_timeout_disconnected' });

    // Restarted, the minion finds the unfinished jid in its log and reports it interrupted, once.
    cluster.startMinion('e2e-c');
    await waitFor(
      async () => {
        const { body } = await cluster.api<{ minions: { id: string; outcome: string }[] }>(
          'GET',
          `/api/v1/jobs/${doc.jid}`,
        );
        return body.minions.find((m) => m.id === 'e2e-c')?.outcome === 'interrupted';
      },
      15_000,
      'the interrupted return',
    );
    await cluster.waitConnected(['e2e-c']);
  });
});
