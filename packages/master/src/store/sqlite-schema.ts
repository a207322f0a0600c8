import type Database from 'better-sqlite3';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';

/**
 * Each entry moves the schema from version `index` to `index + 1`. Append only: a released
 * migration is never edited, so every database walks the same path. Exported for the migration
 * tests, which build a database at an older version.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE jobs (
    jid TEXT PRIMARY KEY,
    fun TEXT NOT NULL,
    -- The target as text (a list joined with ','), for the exact-match filter.
    target TEXT NOT NULL,
    target_type TEXT NOT NULL,
    user TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    summary BLOB,
    -- msgpack of the target array when the target is a list, so it round-trips exactly.
    target_list BLOB,
    args BLOB NOT NULL,
    kwargs BLOB NOT NULL,
    -- Last: the widest column, so filters on the columns above never read its overflow pages.
    minions BLOB NOT NULL
  ) STRICT;
  CREATE INDEX jobs_started ON jobs (started_at, jid);
  CREATE INDEX jobs_fun ON jobs (fun, started_at, jid);
  CREATE INDEX jobs_user ON jobs (user, started_at, jid);
  CREATE INDEX jobs_target ON jobs (target, started_at, jid);
  CREATE INDEX jobs_active ON jobs (started_at, jid) WHERE ended_at IS NULL;

  -- No foreign key to jobs: a result for a job this store does not know is still kept.
  CREATE TABLE job_minions (
    jid TEXT NOT NULL,
    minion_id TEXT NOT NULL,
    -- Position in createJob's minions list; NULL for a result from a minion it did not list.
    ordinal INTEGER,
    -- NULL while pending.
    outcome TEXT,
    success INTEGER NOT NULL DEFAULT 0,
    retcode INTEGER,
    -- msgpack; NULL when the result carries no ret at all.
    ret BLOB,
    reason TEXT,
    -- REAL: a duration is endedAt - startedAt and need not be whole.
    duration_ms REAL,
    PRIMARY KEY (jid, minion_id)
  ) STRICT, WITHOUT ROWID;
  `,
  // v2: results only for targeted minions, attempts, and a targeted count for listings.
  `
  -- Results from minions a job did not target, or for jobs never recorded, are no longer kept
  -- (a minion-controlled jid must not write into other jobs; cf. Salt CVE-2025-22242), and
  -- nothing would ever purge them: they are exactly the rows without an ordinal.
  DELETE FROM job_minions WHERE ordinal IS NULL;
  ALTER TABLE job_minions ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;

  -- Rebuilt rather than altered: ADD COLUMN would put targeted after the minions blob, and
  -- every listed row would then walk that blob's overflow pages (35 of them at 10,000 minions).
  -- The back-fill rewrites every row anyway, so the rebuild costs no more.
  CREATE TABLE jobs_v2 (
    jid TEXT PRIMARY KEY,
    fun TEXT NOT NULL,
    target TEXT NOT NULL,
    target_type TEXT NOT NULL,
    user TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    -- Distinct targeted minions: the job's job_minions rows.
    targeted INTEGER NOT NULL,
    summary BLOB,
    target_list BLOB,
    args BLOB NOT NULL,
    kwargs BLOB NOT NULL,
    minions BLOB NOT NULL
  ) STRICT;
  INSERT INTO jobs_v2
    SELECT jid, fun, target, target_type, user, started_at, ended_at,
      (SELECT count(*) FROM job_minions m WHERE m.jid = jobs.jid),
      summary, target_list, args, kwargs, minions
    FROM jobs;
  DROP TABLE jobs;
  ALTER TABLE jobs_v2 RENAME TO jobs;
  CREATE INDEX jobs_started ON jobs (started_at, jid);
  CREATE INDEX jobs_fun ON jobs (fun, started_at, jid);
  CREATE INDEX jobs_user ON jobs (user, started_at, jid);
  CREATE INDEX jobs_target ON jobs (target, started_at, jid);
  CREATE INDEX jobs_active ON jobs (started_at, jid) WHERE ended_at IS NULL;
  `,
  // v3: the highest execution-retry attempt published, so its return is accepted after a restart.
  // A table of its own: a column on jobs would land after the minions blob (see v2).
  `
  CREATE TABLE job_attempts (
    jid TEXT PRIMARY KEY,
    max_attempt INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
];

/** The schema version this build writes, kept in `PRAGMA user_version`. */
export const SCHEMA_VERSION = migrations.length;

/**
 * Sets the connection pragmas: WAL with `synchronous = FULL`, so a commit that has returned
 * survives kill -9 and power loss; a busy timeout for a second reader; a 64 MiB page cache and a
 * 256 MiB memory map.
 */
export function applyPragmas(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
  db.pragma('temp_store = MEMORY');
  // Bound the WAL file after a checkpoint; a purge of a million rows can grow it far.
  db.pragma('journal_size_limit = 67108864');
}

/**
 * Brings the schema to {@link SCHEMA_VERSION}, one migration per transaction. Throws
 * `ERR_STORE_SCHEMA_NEWER` for a file written by a newer build.
 */
export function migrateJobStore(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new JobStoreError(
      JobStoreErrorCode.schemaNewer,
      `job store schema ${version} is newer than ${SCHEMA_VERSION}`,
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
