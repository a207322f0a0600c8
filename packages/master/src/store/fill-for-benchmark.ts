import { createJidGenerator } from '@brine/protocol';
import type { JobStore, ResultWrite } from '../core/job-store.js';

/** Options for {@link fillForBenchmark}. */
export interface FillOptions {
  jobs: number;
  minionsPerJob: number;
  /** Start time of the first job; each next job starts one second later. @default 2025-01-01T00:00:00Z */
  startMs?: number;
  /** Rows per `writeResults` call, as the ingest pipeline batches them. @default 1000 */
  batchSize?: number;
}

/** What {@link fillForBenchmark} wrote. */
export interface FillReport {
  /** The jids written, oldest first. */
  jids: string[];
  /** Result rows written. */
  rows: number;
  /** Wall time spent in `writeResults` alone, in ms. */
  writeMs: number;
}

/**
 * Fills a store through its public methods with `jobs` finished jobs of `minionsPerJob` minions
 * each, every minion `returned` with a small ret, for benchmarks and scale tests. One job in ten
 * is `cmd.run` by `bob`; the rest are `test.ping` by `alice`.
 */
export function fillForBenchmark(store: JobStore, options: FillOptions): FillReport {
  const startMs = options.startMs ?? Date.UTC(2025, 0, 1);
  const batchSize = options.batchSize ?? 1000;
  const nextJid = createJidGenerator();
  const minions = Array.from({ length: options.minionsPerJob }, (_, i) => `minion-${String(i).padStart(6, '0')}`);
  const jids: string[] = [];
  let rows = 0;
  let writeMs = 0;
  for (let j = 0; j < options.jobs; j++) {
    const startedAt = startMs + j * 1000;
    const jid = nextJid(startedAt);
    const odd = j % 10 === 9;
    jids.push(jid);
    store.createJob({
      jid,
      fun: odd ? 'cmd.run' : 'test.ping',
      args: odd ? ['uptime'] : [],
      kwargs: {},
      target: '*',
      targetType: 'glob',
      user: odd ? 'bob' : 'alice',
      startedAt,
      minions,
    });
    for (let from = 0; from < minions.length; from += batchSize) {
      const batch: ResultWrite[] = minions.slice(from, from + batchSize).map((id) => ({
        jid,
        id,
        outcome: 'returned',
        success: true,
        retcode: 0,
        ret: odd ? { pid: 4242, stdout: ' 12:00:00 up 3 days', stderr: '' } : true,
        durationMs: 3,
      }));
      const t = performance.now();
      store.writeResults(batch);
      writeMs += performance.now() - t;
      rows += batch.length;
    }
    const n = minions.length;
    const counts = { targeted: n, returned: n, succeeded: n, failed: 0, didNotReturn: 0 };
    store.finishJob(jid, startedAt + 500, {
      jid,
      fun: odd ? 'cmd.run' : 'test.ping',
      ...counts,
      success: true,
      durationMs: 500,
    });
  }
  return { jids, rows, writeMs };
}
