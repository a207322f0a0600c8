import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filter, lastValueFrom, toArray } from 'rxjs';
import { connect, results, type BrineClient } from '@brine/client';
import { fastestAnswer, filterThenRun$, mergedJobs$, rollingDeploy, timedSequence$ } from '@brine/examples-sdk';
import { BIN, Cluster, REPO_ROOT, waitFor } from '@brine/testing';

// Four minions: s1 and s2 carry the grain role=web, s3 and s4 none (example 5).
const ids = ['s1', 's2', 's3', 's4'];
let cluster: Cluster;
let client: BrineClient;
let work: string;

beforeAll(async () => {
  cluster = new Cluster({ minions: [] });
  await cluster.start();
  for (const id of ids) cluster.startMinion(id, id <= 's2' ? { grains: { role: 'web' } } : {});
  await cluster.waitConnected(ids, 30_000);
  client = connect({ url: cluster.endpoints.api, token: cluster.token });
  work = join(cluster.dir, 'work');
  mkdirSync(work);
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
});

/** The newest job's jid (the examples hide it: they give results). */
async function latestJid(): Promise<string> {
  const { jobs } = (await lastValueFrom(client.transport.json$('GET', '/api/v1/jobs?limit=1'))) as {
    jobs: { jid: string }[];
  };
  return jobs[0]!.jid;
}

/** Every minion result of a job, once it has ended (re-attached with job$). */
async function finalResults(jid: string) {
  const all = await lastValueFrom(client.job$(jid).pipe(results(), toArray()));
  return Object.fromEntries(all.map((r) => [r.id, r]));
}

/**
 * A shell command for the losers of a race: it waits, and when the job is cancelled its
 * SIGTERM trap writes the time (ns) it was told to stop to `dir/stopped-<pid>`.
 */
const stoppable = (dir: string) => `trap 'date +%s%N > ${dir}/stopped-$$; exit 143' TERM; sleep 30 & wait`;

describe('the SDK examples against a real master and minions', () => {
  it('1. merges the results of several jobs as they come', async () => {
    const all = await lastValueFrom(
      mergedJobs$(client, [
        { target: ['s1', 's2'], targetType: 'list', fun: 'test.echo', args: ['a'] },
        { target: ['s3', 's4'], targetType: 'list', fun: 'test.echo', args: ['b'] },
      ]).pipe(toArray()),
    );
    expect(Object.fromEntries(all.map((r) => [r.id, r.ret]))).toEqual({ s1: 'a', s2: 'a', s3: 'b', s4: 'b' });
  });

  it('2. takes the fastest answer and cancels the job for the other minions in well under a second', async () => {
    const dir = join(work, 'race');
    mkdirSync(dir);
    // Exactly one minion wins the mkdir and answers at once; the others wait until stopped.
    const cmd = `mkdir ${dir}/winner 2>/dev/null && echo won || { ${stoppable(dir)}; }`;
    const winner = await fastestAnswer(client, { target: 's*', fun: 'cmd.run', args: [cmd] });
    const answeredAt = Date.now();
    expect(winner).toMatchObject({ outcome: 'returned', success: true, ret: 'won' });
    const stopped = await waitFor(
      () => {
        const files = readdirSync(dir).filter((f) => f.startsWith('stopped-'));
        return files.length === 3 ? files : undefined;
      },
      20_000,
      'the three other minions to be stopped',
    );
    const latencies = stopped.map(
      (f) => Number(BigInt(readFileSync(join(dir, f), 'utf8').trim()) / 1_000_000n) - answeredAt,
    );
    // The cancel left when take(1) unsubscribed, just before `answeredAt`.
    console.log(`cancel reached the other minions' processes ${Math.max(...latencies)} ms after the answer`);
    expect(Math.max(...latencies)).toBeLessThan(1000);
    const final = await finalResults(await latestJid());
    const others = Object.values(final).filter((r) => r.id !== winner.id);
    expect(others.map((r) => `${r.outcome}:${r.reason}`)).toEqual([
      'cancelled:cancelled',
      'cancelled:cancelled',
      'cancelled:cancelled',
    ]);
  });

  it('3. runs a sequence with a pause between jobs, and one timeout over it that cancels the running job', async () => {
    const dir = join(work, 'sequence');
    mkdirSync(dir);
    const started = Date.now();
    await expect(
      lastValueFrom(
        timedSequence$(
          client,
          [
            { target: 's1', fun: 'test.echo', args: ['first'] },
            { target: 's1', fun: 'cmd.run', args: [stoppable(dir)] },
            { target: 's1', fun: 'test.echo', args: ['never'] },
          ],
          { pauseMs: 500, budgetMs: 3000 },
        ),
      ),
    ).rejects.toMatchObject({ code: 'ERR_EXAMPLE_SEQUENCE_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    await waitFor(() => readdirSync(dir).length === 1, 10_000, 'the running job to be stopped');
    const final = await finalResults(await latestJid());
    expect(final['s1']).toMatchObject({ outcome: 'cancelled' });
  });

  it('4. rolls out in batches, health-checks, and rolls back exactly the unhealthy minions', async () => {
    await client.run({ target: 's3', fun: 'grains.setval', args: ['broken', true] });
    const report = await rollingDeploy(client, {
      target: 's*',
      deploy: { fun: 'test.echo', args: ['deployed'] },
      check: { fun: 'grains.get', args: ['broken'] },
      rollback: { fun: 'test.echo', args: ['rolled back'] },
      healthy: (r) => r.ret !== true,
      deadlineMs: 60_000,
    });
    expect(report.deployed.map((r) => r.ret)).toEqual(['deployed', 'deployed', 'deployed', 'deployed']);
    expect(report.unhealthy).toEqual(['s3']);
    expect(report.rolledBack.map((r) => [r.id, r.ret])).toEqual([['s3', 'rolled back']]);
    await client.run({ target: 's3', fun: 'grains.setval', args: ['broken', false] });
  });

  it('4. stops the rollout at its overall deadline: one batch done, the running one stopped, the rest cancelled', async () => {
    const report = await rollingDeploy(client, {
      target: 's*',
      deploy: { fun: 'test.sleep', args: [2] },
      check: { fun: 'test.ping' },
      rollback: { fun: 'test.echo', args: ['rolled back'] },
      deadlineMs: 3000,
    });
    const outcomes = report.deployed.map((r) => `${r.outcome}${r.reason ? `:${r.reason}` : ''}`);
    expect(outcomes).toEqual(['returned', 'cancelled:deadline', 'cancelled:deadline', 'cancelled:deadline']);
    expect(report.unhealthy).toEqual([]);
  });

  it('5. filters one job and runs the next on exactly the minions kept', async () => {
    const events = await lastValueFrom(
      filterThenRun$(client, { target: 's*', fun: 'grains.get', args: ['role'] }, (r) => r.ret === '', {
        fun: 'test.echo',
        args: ['no role'],
      }).pipe(toArray()),
    );
    const started = events.find((e) => e.type === 'job.started');
    expect(started).toMatchObject({ minions: ['s3', 's4'] });
    expect(
      events.filter((e) => e.type === 'minion.result').map((e) => e.type === 'minion.result' && e.result.id),
    ).toEqual(expect.arrayContaining(['s3', 's4']));
  });
});

describe('the examples from the command line', () => {
  it.each(['merged', 'fastest', 'sequence', 'rolling', 'filter'])(
    'runs `node examples/sdk/dist/main.js %s` against the master in BRINE_URL',
    async (name) => {
      const r = await cluster.cli(join(REPO_ROOT, 'examples/sdk/dist/main.js'), [name, 's*']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n').length).toBeGreaterThan(0);
    },
  );
});

describe('the client against a real master', () => {
  it('errors with ERR_CLIENT_STREAM_LOST when the connection drops, and job$ re-attaches to the job that went on', async () => {
    // A TCP relay in front of the API, so the test can cut the client's connection alone.
    const api = new URL(cluster.endpoints.api);
    const sockets = new Set<Socket>();
    const relay: Server = createServer((down) => {
      const up = tcpConnect(Number(api.port), api.hostname);
      sockets.add(down).add(up);
      down.pipe(up).pipe(down);
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as { port: number }).port;
    try {
      const relayed = connect({ url: `http://127.0.0.1:${port}`, token: cluster.token });
      // Cut the connection as soon as the master has named the job.
      const err = await lastValueFrom(
        relayed.run$({ target: 's*', fun: 'test.sleep', args: [2] }).pipe(
          filter((e) => {
            if (e.type === 'job.started') for (const s of sockets) s.destroy();
            return false;
          }),
        ),
        { defaultValue: undefined },
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'ERR_CLIENT_STREAM_LOST' });
      const jid = (err as { jid: string }).jid;
      expect(jid).toMatch(/^\d{20}$/);
      // The job went on without the client: re-attach and see it end with every minion returned.
      const final = await lastValueFrom(client.job$(jid).pipe(toArray()));
      expect(final.at(-1)).toMatchObject({ type: 'job.done', summary: { targeted: 4, succeeded: 4 } });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => relay.close(r));
    }
  });

  it('previews a target and runs several functions in one job', async () => {
    expect((await client.preview('s[12]')).sort()).toEqual(['s1', 's2']);
    const outcome = await client.run({
      target: 's1',
      fun: ['test.echo', 'cmd.run'],
      args: [['hello'], ['echo hi']],
    });
    expect(outcome.results['s1']).toMatchObject({ success: true, ret: { 'test.echo': 'hello', 'cmd.run': 'hi' } });
  });
});

describe('the CLI with several functions and a deadline', () => {
  it("runs `brine s1 test.echo,cmd.run hello,'echo hi'` with each result under its function, exit 0", async () => {
    const r = await cluster.cli(BIN.brine, ['s1', 'test.echo,cmd.run', 'hello,echo hi', '--out', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).minions.s1.ret).toEqual({ 'test.echo': 'hello', 'cmd.run': 'hi' });
    const failed = await cluster.cli(BIN.brine, ['s1', 'test.echo,cmd.run', 'hello', ',', 'exit 3']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('test.echo');
  });

  it('cancels with reason deadline past --deadline and exits 2', async () => {
    const r = await cluster.cli(BIN.brine, ['s*', 'test.sleep', '2', '-b', '1', '--deadline', '1', '--out', 'json']);
    expect(r.code).toBe(2);
    const minions = JSON.parse(r.stdout).minions as Record<string, { outcome: string; reason?: string }>;
    expect(Object.values(minions).map((m) => `${m.outcome}:${m.reason}`)).toEqual(Array(4).fill('cancelled:deadline'));
  });
});
