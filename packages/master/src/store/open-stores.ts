import type { PrivatePath } from '../private-dir.js';
import { join } from 'node:path';
import type { JobStore } from '../core/job-store.js';
import type { KeyRecords } from '../keys/key-records.js';
import { pgKeyRecords } from '../keys/pg-key-records.js';
import { openPgBridge, type PgBridge } from './pg-bridge.js';
import { openResultWriter, pgJobStoreOn } from './pg-job-store.js';
import { migratePg } from './pg-schema.js';
import { pgTokenRecords } from './pg-token-records.js';
import type { SharedTokenRecords } from '../http/auth/tokens.js';
import type { EnrollmentRecords } from '../keys/enrollment.js';
import { pgEnrollmentRecords } from '../keys/pg-enrollment-records.js';
import { openSqliteJobStore } from './sqlite-job-store.js';

/** Whether a `store` config value names a PostgreSQL database rather than the embedded SQLite file. */
export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//.test(store);
}

/** The master's stores, as the config's `store` chose them. */
export interface MasterStores {
  jobs: JobStore;
  /** Shared minion keys; undefined for the embedded default (files under `pki/`). */
  keys: KeyRecords | undefined;
  /** The shared database's connection; undefined for the embedded default. */
  db: PgBridge | undefined;
  /** Shared session and API tokens; undefined for the embedded default (`tokens.json`). */
  tokens: SharedTokenRecords | undefined;
  /** Shared enrollment tokens; undefined for the embedded default (`pki/enroll_tokens.json`). */
  enrollment: EnrollmentRecords | undefined;
}

/**
 * Opens what the config's `store` names: `sqlite` (the default), the job cache in the file
 * `<state_dir>/jobs.sqlite` and keys as files; a `postgres://` URL, both in a PostgreSQL
 * database shared by masters, over one connection (and one more for the ingest's writes),
 * migrated first under an advisory lock.
 * Throws `ERR_STORE_UNREACHABLE` when PostgreSQL does not answer, so the master exits at start.
 * Closing `jobs` closes the connection.
 */
export function openStores(
  store: string,
  stateDir: string,
  options: { onTightened?: (found: PrivatePath) => void } = {},
): MasterStores {
  if (!isPostgresUrl(store))
    return {
      jobs: openSqliteJobStore({
        path: join(stateDir, 'jobs.sqlite'),
        ...(options.onTightened ? { onTightened: options.onTightened } : {}),
      }),
      keys: undefined,
      db: undefined,
      tokens: undefined,
      enrollment: undefined,
    };
  const pgOptions = { url: store, applicationName: 'brine-master' };
  const db = openPgBridge(pgOptions);
  try {
    migratePg(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    jobs: pgJobStoreOn(db, openResultWriter(pgOptions)),
    keys: pgKeyRecords(db),
    db,
    tokens: pgTokenRecords(db, Date.now),
    enrollment: pgEnrollmentRecords(db, Date.now),
  };
}
