import type { Logger } from 'pino';
import type { JobStore } from '../core/job-store.js';

/** What {@link purgeOldJobs} needs. */
export interface PurgeOptions {
  store: Pick<JobStore, 'purgeBefore'>;
  /** How long a job is kept after it started (`keep_jobs_hours`). */
  keepMs: number;
  now(): number;
  log: Pick<Logger, 'info'>;
  /** How often to purge. @default 3_600_000 (hourly) */
  everyMs?: number;
}

/**
 * Deletes jobs older than `keepMs` now and then every `everyMs`, logging how many went. The
 * timer never holds the process open. @returns a function that stops the timer
 */
export function purgeOldJobs(o: PurgeOptions): () => void {
  const purge = () => {
    const removed = o.store.purgeBefore(o.now() - o.keepMs);
    if (removed) o.log.info({ removed }, 'old jobs purged');
  };
  const timer = setInterval(purge, o.everyMs ?? 3_600_000);
  timer.unref();
  purge();
  return () => clearInterval(timer);
}
