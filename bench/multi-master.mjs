// Durable return ingest into PostgreSQL against SQLite, standalone (not a `pnpm bench` phase yet):
// a throwaway PostgreSQL cluster (packages/testing's startPostgres: initdb in a temp dir, fsync
// on), then the ingest phase of the benchmarks (bench/brine-fanout.mjs runIngest: a real master,
// a swarm of N minions, `concurrency` requesters sending test.ping back to back) twice, once
// with the embedded SQLite job cache and once with `store: postgres://...`. Every return the
// API hands out was committed first, so returns/s is durable ingest. Prints one JSON line.
// Usage: node bench/multi-master.mjs [--n 1000] [--seconds 20] [--concurrency 4]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { postgresMissing, startPostgres } from '../packages/testing/dist/index.js';
import { openSqliteJobStore } from '../packages/master/dist/index.js';
import { openPgJobStore } from '../packages/master/dist/store/pg-job-store.js';
import { runIngest } from './brine-fanout.mjs';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    'source-addresses': { type: 'string', default: '1' },
  },
});
const missing = postgresMissing();
if (missing) {
  console.error(`multi-master bench: ${missing}`);
  process.exit(2);
}
const n = Number(flags.n);
const seconds = Number(flags.seconds);
const concurrency = Number(flags.concurrency);
const sourceAddresses = Number(flags['source-addresses']);
const work = mkdtempSync(join(tmpdir(), 'brine-mm-bench-'));

/**
 * The store alone, no network: 20 jobs of 1,000 minions, each job's returns written in one
 * batch (one transaction, as the ingest writes them). Returns rows/s and ms per batch.
 */
function storeLevel(store) {
  const minions = Array.from({ length: 1000 }, (_, i) => `m${i}`);
  const batchMs = [];
  const t0 = Date.now() - 3_600_000;
  for (let j = 0; j < 20; j++) {
    const jid = String(20250101000000000000n + BigInt(j) + BigInt(Date.now()) * 1000n).slice(0, 20);
    store.createJob({
      jid,
      fun: 'test.ping',
      args: [],
      kwargs: {},
      target: '*',
      targetType: 'glob',
      user: 'bench',
      startedAt: t0 + j,
      minions,
    });
    const t = performance.now();
    const ok = store.writeResults(
      minions.map((id) => ({ jid, id, outcome: 'returned', success: true, retcode: 0, ret: true, durationMs: 1 })),
    );
    batchMs.push(performance.now() - t);
    if (!ok.every(Boolean)) throw new Error('store-level: a row was refused');
  }
  store.close();
  const total = batchMs.reduce((a, b) => a + b, 0);
  batchMs.sort((a, b) => a - b);
  return { rowsPerSec: Math.round((20 * 1000) / (total / 1000)), batchMsMedian: Number(batchMs[10].toFixed(1)) };
}
const pg = await startPostgres();
try {
  const url = pg.createDatabase('bench');
  const store = {
    sqlite: storeLevel(openSqliteJobStore({ path: join(work, 'store.sqlite') })),
    postgres: storeLevel(openPgJobStore({ url: pg.createDatabase('storelevel') })),
  };
  const sqlite = await runIngest({
    n,
    seconds,
    concurrency,
    sourceAddresses,
    masterConfig: {},
    dir: join(work, 'sqlite'),
  });
  const postgres = await runIngest({
    n,
    seconds,
    concurrency,
    sourceAddresses,
    masterConfig: { store: url },
    dir: join(work, 'pg'),
  });
  const pick = (r) => ({
    returnsPerSec: Math.round(r.returnsPerSec),
    jobs: r.jobs,
    jobMsMedian: r.jobMs.median,
    jobMsP90: r.jobMs.p90,
    masterCpuShare: Number(r.masterCpuShare.toFixed(2)),
    load: r.load,
  });
  console.log(
    JSON.stringify({
      n,
      seconds,
      concurrency,
      sqlite: pick(sqlite),
      postgres: pick(postgres),
      ratio: Number((postgres.returnsPerSec / sqlite.returnsPerSec).toFixed(2)),
      store,
    }),
  );
} catch (err) {
  // Keep the daemons' logs of a failed run.
  console.error(`multi-master bench failed; logs in ${work}`);
  throw err;
} finally {
  pg.stop();
}
rmSync(work, { recursive: true, force: true });
