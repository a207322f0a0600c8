// The job cache at scale, in its own process: fills an SQLite job store through its public
// methods (openSqliteJobStore + fillForBenchmark: jobs of 1,000 minions, one in ten `cmd.run`
// by bob) and times listJobs and lookupJob. The file is left at <dir>/master/jobs.sqlite, where
// a master started on <dir> serves it, for the same queries through the REST API.
// Prints one JSON line with the timings.
// Usage: node bench/brine-jobcache.mjs --dir DIR --rows 1000000 [--samples 30]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fillForBenchmark, openSqliteJobStore } from '../packages/master/dist/index.js';
import { summarize } from './lib/stats.mjs';

const MINIONS_PER_JOB = 1000;
const WARMUP = 3;

const { values: opts } = parseArgs({
  options: { dir: { type: 'string' }, rows: { type: 'string' }, samples: { type: 'string', default: '30' } },
});
const rows = Number(opts.rows);
const samples = Number(opts.samples);
const minionsPerJob = Math.min(MINIONS_PER_JOB, rows);
const jobs = Math.max(1, Math.round(rows / minionsPerJob));
mkdirSync(join(opts.dir, 'master'), { recursive: true, mode: 0o700 });
const store = openSqliteJobStore({ path: join(opts.dir, 'master', 'jobs.sqlite') });

// Jobs end a minute ago, one a second: inside any master's retention window.
const t0 = performance.now();
const fill = fillForBenchmark(store, { jobs, minionsPerJob, startMs: Date.now() - jobs * 1000 - 60_000 });
const fillMs = performance.now() - t0;

/** Timings in ms of `samples` calls after a warm-up; `check` validates one answer. */
function time(fn, check) {
  for (let i = 0; i < WARMUP; i++) check(fn());
  const ms = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return summarize(ms);
}

const middle = fill.jids[Math.floor(fill.jids.length / 2)];
const queries = {
  'jobs.list newest 50': time(
    () => store.listJobs({}),
    (r) => r.length || fail('listJobs returned nothing'),
  ),
  'jobs.list fun=cmd.*': time(
    () => store.listJobs({ fun: 'cmd.*' }),
    (r) => r.length || jobs < 10 || fail('listJobs fun=cmd.* returned nothing'),
  ),
  'jobs.list user=bob': time(
    () => store.listJobs({ user: 'bob' }),
    (r) => r.length || jobs < 10 || fail('listJobs user=bob returned nothing'),
  ),
  [`jobs.lookup (${minionsPerJob} minions)`]: time(
    () => store.lookupJob(middle),
    (r) => r?.minions.length === minionsPerJob || fail(`lookupJob: ${r?.minions.length} rows`),
  ),
};
store.close();

function fail(message) {
  throw new Error(message);
}

process.stdout.write(
  JSON.stringify({
    rows: fill.rows,
    jobs,
    minionsPerJob,
    fillMs,
    writeRowsPerSec: fill.rows / (fill.writeMs / 1000),
    lookupJid: middle,
    queries,
  }) + '\n',
);
