import { join } from 'node:path';
import type { JobStore } from '../core/job-store.js';
import { openPgJobStore } from './pg-job-store.js';
import { openSqliteJobStore } from './sqlite-job-store.js';

/** Whether a `store` config value names a PostgreSQL database rather than the embedded SQLite file. */
export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//.test(store);
}

/**
 * Opens the job cache the config's `store` names: `sqlite` (the default), the embedded file
 * `<state_dir>/jobs.sqlite`; a `postgres://` URL, a PostgreSQL database shared by masters.
 * Throws `ERR_STORE_UNREACHABLE` when PostgreSQL does not answer, so the master exits at start.
 */
export function openJobStore(store: string, stateDir: string): JobStore {
  if (isPostgresUrl(store)) return openPgJobStore({ url: store, applicationName: 'brine-master' });
  return openSqliteJobStore({ path: join(stateDir, 'jobs.sqlite') });
}
