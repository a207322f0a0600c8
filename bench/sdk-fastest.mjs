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
//   node bench/sdk-fastest.mjs [--n 10000] [--rounds 3] [--keep] [--out BENCHMARKS.md] [--from result.json]
// Writes its section of BENCHMARKS.md (between sdk-fastest markers) and prints the result as JSON.
// Needs a build (npx tsc -b). Not part of `pnpm bench`; run it on its own, once.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    out: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '..', 'BENCHMARKS.md') },
    /** Write the section from a result this script printed before, without measuring again. */
    from: { type: 'string' },
  },
});
const n = Number(flags.n);
const rounds = Number(flags.rounds);
const sleepS = Number(flags['sleep-s']);
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

async function measure() {
  killChildrenOnExit();
  const dir = mkdtempSync(join(tmpdir(), 'brine-bench-sdk-'));
  const master = await startBenchMaster({ dir, fds: n + 1024 });
  const swarm = startSwarm({ master, n, sourceAddresses: 4, logFile: join(dir, 'swarm.log') });
  try {
    const t0 = performance.now();
    let connectMs;
    // A shared, loaded box can take a while to start connecting 10,000: allow long stalls.
    await swarm.waitConnected(n, 900_000, 180_000);
    connectMs = performance.now() - t0;
    log(`${n} minions connected in ${Math.round(connectMs)} ms (load ${load1()})`);
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
    const result = {
      n,
      rounds,
      sleepS,
      medianFirstMs: med('firstMs'),
      medianEndMs: med('endMs'),
      medianStopAllMs: med('stopAllMs'),
      connectMs,
      date: new Date().toISOString().slice(0, 10),
      rows,
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return result;
  } finally {
    await swarm.stop();
    await master.stop();
    killAll();
    if (!flags.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The BENCHMARKS.md section, between markers that `bench/run.mjs` keeps on a rerun. */
function section(r) {
  const ms = (v) => `${Math.round(v)} ms`;
  return [
    '<!-- sdk-fastest:start -->',
    '## The fastest answer through the SDK (`node bench/sdk-fastest.mjs`)',
    '',
    `${r.date}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
      `${r.n} swarm minions; \`client.run$({target: '*', fun: 'test.sleep', args: [${r.sleepS}]}).pipe(results(), filter(ok), take(1))\`; ` +
      `take(1) unsubscribes, which cancels the job. Times from the subscribe; "all others told to stop" is when the master ended the job ` +
      '(a job.cancel queued to every running minion, the rest cancelled outright), polled every 20 ms.',
    '',
    '| round | first result | beyond the sleep | all others told to stop | after the first result | returned / cancelled | load (1 min) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.rows.map(
      (row) =>
        `| ${row.round} | ${ms(row.firstMs)} | ${ms(row.firstMs - r.sleepS * 1000)} | ${ms(row.endMs)} | ${ms(row.stopAllMs)} | ${row.returned} / ${row.cancelled} | ${row.load.toFixed(1)} |`,
    ),
    '',
    `Medians: first result ${ms(r.medianFirstMs)}, all others told to stop ${ms(r.medianStopAllMs)} after it. ` +
      `The box was shared with other work (load above); connecting the swarm took ${ms(r.connectMs)}.`,
    '<!-- sdk-fastest:end -->',
  ].join('\n');
}

const result = flags.from ? JSON.parse(readFileSync(flags.from, 'utf8')) : await measure();
const old = existsSync(flags.out) ? readFileSync(flags.out, 'utf8') : '# Benchmarks\n';
const marked = /<!-- sdk-fastest:start -->[\s\S]*<!-- sdk-fastest:end -->/;
writeFileSync(
  flags.out,
  marked.test(old) ? old.replace(marked, section(result)) : `${old.trimEnd()}\n\n${section(result)}\n`,
);
