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
import { parseArgs } from 'node:util';
import { postgresMissing, startPostgres } from '../packages/testing/dist/index.js';
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
const pg = await startPostgres();
try {
  const url = pg.createDatabase('bench');
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
