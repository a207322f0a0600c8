#!/usr/bin/env node
// Benchmark phase for issue #18, example 2 ("the fastest answer") at scale: a master and a swarm
// of N minions (default 10,000) in separate processes, and the SDK in this one:
//
//   client.run$({ target: '*', fun: 'test.sleep', args: [1] }).pipe(results(), filter(ok), take(1))
//
// Measured per round: subscribe → the first result (includes the 1 s sleep, reported net of it
// too); and subscribe → the job's end on the master, which comes when every other minion has
// been told to stop (a job.cancel frame queued to each running minion, the ones not yet started
// cancelled outright), seen by polling the active jobs every 20 ms (an upper bound); and how
// many returned before the cancel vs were cancelled.
//
//   node bench/sdk-fastest.mjs [--n 10000] [--rounds 3] [--keep]
// Needs a build (npx tsc -b). Not part of `pnpm bench`; run it on its own, once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { filter, firstValueFrom, lastValueFrom, take, tap } from 'rxjs';
import { connect, results } from '@brine/client';
import { startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { killAll, killChildrenOnExit, load1 } from './lib/procs.mjs';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    'sleep-s': { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const n = Number(flags.n);
const rounds = Number(flags.rounds);
const sleepS = Number(flags['sleep-s']);
killChildrenOnExit();
const dir = mkdtempSync(join(tmpdir(), 'brine-bench-sdk-'));
const log = (m) => process.stderr.write(`[sdk-fastest] ${m}\n`);

/** Polls the active jobs every 20 ms until `jid` is not among them. */
async function waitInactive(client, jid) {
  for (;;) {
    const { jobs } = await lastValueFrom(client.transport.json$('GET', '/api/v1/jobs/active'));
    if (!jobs.some((j) => j.jid === jid)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls the job cache until the job has its summary and every row an outcome. */
async function waitForSummary(client, jid) {
  for (;;) {
    const found = await lastValueFrom(client.transport.json$('GET', `/api/v1/jobs/${jid}`));
    if (found.job.summary && found.minions.every((m) => m.outcome !== null)) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const master = await startBenchMaster({ dir, fds: n + 1024 });
const swarm = startSwarm({ master, n, sourceAddresses: 4, logFile: join(dir, 'swarm.log') });
try {
  const t0 = performance.now();
  await swarm.waitConnected(n, 600_000);
  log(`${n} minions connected in ${Math.round(performance.now() - t0)} ms (load ${load1()})`);
  const client = connect({ url: master.endpoints.api, token: master.token });
  await client.run({ target: '*', fun: 'test.ping', timeoutMs: 60_000 }); // warm-up
  const rows = [];
  for (let round = 0; round < rounds; round++) {
    let jid;
    const start = performance.now();
    const first = await firstValueFrom(
      client.run$({ target: '*', fun: 'test.sleep', args: [sleepS], timeoutMs: 60_000 }).pipe(
        tap((e) => (jid ??= e.jid)),
        results(),
        filter((r) => r.success),
        take(1),
      ),
    );
    const firstMs = performance.now() - start;
    // The job ends on the master once every other minion has been told to stop (a job.cancel
    // queued to each running one, the rest cancelled outright): poll until it is no longer active.
    await waitInactive(client, jid);
    const endMs = performance.now() - start;
    const { summary } = (await waitForSummary(client, jid)).job;
    const returned = summary.returned;
    const cancelled = summary.didNotReturn;
    rows.push({
      round,
      firstMs,
      endMs,
      stopAllMs: endMs - firstMs,
      returned,
      cancelled,
      winner: first.id,
      load: load1(),
    });
    log(
      `round ${round}: first result ${firstMs.toFixed(0)} ms (${(firstMs - sleepS * 1000).toFixed(0)} ms beyond the ${sleepS} s sleep), ` +
        `job ended (all others told to stop) ${endMs.toFixed(0)} ms, ${returned} returned, ${cancelled} cancelled`,
    );
    // Let the cancelled minions finish their cancellation before the next round.
    await new Promise((r) => setTimeout(r, 3000));
  }
  const med = (k) => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
  process.stdout.write(
    JSON.stringify(
      {
        n,
        rounds,
        sleepS,
        medianFirstMs: med('firstMs'),
        medianEndMs: med('endMs'),
        medianStopAllMs: med('stopAllMs'),
        rows,
      },
      null,
      2,
    ) + '\n',
  );
} finally {
  await swarm.stop();
  await master.stop();
  killAll();
  if (!flags.keep) rmSync(dir, { recursive: true, force: true });
}
