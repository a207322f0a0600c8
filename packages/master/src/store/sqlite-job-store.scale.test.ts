import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobFilter, JobStore } from '../core/job-store.js';
import { fillForBenchmark, type FillReport } from './fill-for-benchmark.js';
import { openSqliteJobStore } from './sqlite-job-store.js';

/** Best of `runs` timings of `fn`, in ms: the figure least disturbed by other work on the box. */
function bestMs(fn: () => unknown, runs = 5): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

// A million stored returns (1,000 jobs x 1,000 minions) take about a minute to write; opt in.
describe.skipIf(!process.env['BRINE_SLOW'])('sqlite store at 1,000,000 returns', () => {
  let dir: string;
  let store: JobStore;
  let fill: FillReport;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'brine-store-scale-'));
    store = openSqliteJobStore({ path: join(dir, 'jobs.db') });
    const t = performance.now();
    fill = fillForBenchmark(store, { jobs: 1000, minionsPerJob: 1000 });
    const rate = Math.round((fill.rows / fill.writeMs) * 1000);
    console.info(`fill: ${fill.rows} rows in ${Math.round(performance.now() - t)} ms; writeResults ${rate} rows/s`);
  }, 600_000);
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const filters: [string, JobFilter][] = [
    ['newest 50', {}],
    ['newest 1000', { limit: 1000 }],
    ['offset 900', { offset: 900 }],
    ['fun glob cmd.*', { fun: 'cmd.*' }],
    ['fun glob *.run', { fun: '*.run' }],
    ['fun glob with a class', { fun: '[c]md.*' }],
    ['user bob', { user: 'bob' }],
    ['target *', { target: '*' }],
    ['time window', { since: Date.UTC(2025, 0, 1) + 100_000, until: Date.UTC(2025, 0, 1) + 200_000 }],
    ['active', { active: true }],
  ];

  it.each(filters)('lists jobs (%s)', (_name, filter) => {
    const jobs = store.listJobs(filter);
    const ms = bestMs(() => store.listJobs(filter));
    console.info(`listJobs ${_name}: ${jobs.length} jobs in ${ms.toFixed(2)} ms`);
    for (let i = 1; i < jobs.length; i++) expect(jobs[i - 1]!.startedAt).toBeGreaterThan(jobs[i]!.startedAt);
  });

  it('lists a page of 1,000 jobs well under 50 ms, without their minion lists', () => {
    const ms = bestMs(() => store.listJobs({ limit: 1000 }));
    const jobs = store.listJobs({ limit: 1000 });
    expect(jobs.every((j) => j.targeted === 1000 && !('minions' in j))).toBe(true);
    expect(ms).toBeLessThan(50);
  });

  it('finds unfinished jobs through the partial index', () => {
    const ms = bestMs(() => store.unfinishedJobs());
    console.info(`unfinishedJobs: ${store.unfinishedJobs().length} jobs in ${ms.toFixed(2)} ms`);
    expect(store.unfinishedJobs()).toEqual([]);
  });

  it('looks up a job of 1,000 minions', () => {
    const jid = fill.jids[500]!;
    const ms = bestMs(() => store.lookupJob(jid));
    console.info(`lookupJob: 1,000 minions in ${ms.toFixed(2)} ms`);
    const found = store.lookupJob(jid);
    expect(found?.minions).toHaveLength(1000);
    expect(found?.minions.every((m) => m.outcome === 'returned')).toBe(true);
  });

  it('answers hasReturn', () => {
    const ms = bestMs(() => store.hasReturn(fill.jids[10]!, 'minion-000500'), 1000);
    console.info(`hasReturn: ${(ms * 1000).toFixed(1)} µs`);
    expect(store.hasReturn(fill.jids[10]!, 'minion-000500')).toBe(true);
  });

  // Last: it deletes half of what the others read.
  it('purges the older half in one transaction', () => {
    const cut = store.lookupJob(fill.jids[500]!)!.job.startedAt;
    const t = performance.now();
    expect(store.purgeBefore(cut)).toBe(500);
    console.info(`purgeBefore: 500 jobs, 500,000 rows in ${Math.round(performance.now() - t)} ms`);
    expect(store.hasReturn(fill.jids[499]!, 'minion-000000')).toBe(false);
    expect(store.listJobs({ limit: 1000 })).toHaveLength(500);
  });
});
