import type { PgBridge } from './pg-bridge.js';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';
import { ROUTING_MIGRATION } from '../routing/routing-schema.js';

/**
 * Each entry moves the PostgreSQL schema from version `index` to `index + 1`. Append only: a
 * released migration is never edited, so every database walks the same path. The first one is
 * the SQLite schema at its version 3, spelled for PostgreSQL.
 */
export const pgMigrations: readonly string[] = [
  `
  CREATE TABLE jobs (
    jid text PRIMARY KEY,
    fun text NOT NULL,
    -- The target as text (a list joined with ','), for the exact-match filter.
    target text NOT NULL,
    target_type text NOT NULL,
    "user" text NOT NULL,
    started_at bigint NOT NULL,
    ended_at bigint,
    -- Distinct targeted minions: the job's job_minions rows.
    targeted integer NOT NULL,
    summary bytea,
    -- msgpack of the target array when the target is a list, so it round-trips exactly.
    target_list bytea,
    args bytea NOT NULL,
    kwargs bytea NOT NULL,
    minions bytea NOT NULL
  );
  CREATE INDEX jobs_started ON jobs (started_at, jid);
  CREATE INDEX jobs_fun ON jobs (fun, started_at, jid);
  CREATE INDEX jobs_user ON jobs ("user", started_at, jid);
  CREATE INDEX jobs_target ON jobs (target, started_at, jid);
  CREATE INDEX jobs_active ON jobs (started_at, jid) WHERE ended_at IS NULL;

  -- Only rows createJob made: a result is an UPDATE of one, never an insert (cf. Salt
  -- CVE-2025-22242, a minion-controlled jid).
  CREATE TABLE job_minions (
    jid text NOT NULL,
    minion_id text NOT NULL,
    -- Position in createJob's minions list.
    ordinal integer NOT NULL,
    -- NULL while pending.
    outcome text,
    success boolean NOT NULL DEFAULT false,
    retcode integer,
    -- msgpack; NULL when the result carries no ret at all.
    ret bytea,
    reason text,
    duration_ms double precision,
    attempt integer NOT NULL DEFAULT 0,
    PRIMARY KEY (jid, minion_id)
  );

  CREATE TABLE job_attempts (
    jid text PRIMARY KEY,
    max_attempt integer NOT NULL
  );
  `,
  // v2: minion keys, shared by the masters (the files under pki/ of a single master).
  `
  CREATE TABLE minion_keys (
    id text PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('accepted', 'pending', 'rejected')),
    pub bytea NOT NULL,
    -- The last key that came for this id and was not its own (Salt's minions_denied).
    denied_pub bytea,
    updated_at timestamptz NOT NULL DEFAULT now()
  );
  `,
  // v3: which master holds which minion, under a lease each master renews with its heartbeat.
  `
  CREATE TABLE minion_sessions (
    minion_id text PRIMARY KEY,
    master_id text NOT NULL,
    connected_at bigint NOT NULL,
    -- ms since the epoch; a row past its lease belongs to a master that stopped renewing.
    lease_until bigint NOT NULL
  );
  CREATE INDEX minion_sessions_master ON minion_sessions (master_id);
  CREATE TABLE masters (
    master_id text PRIMARY KEY,
    started_at bigint NOT NULL,
    lease_until bigint NOT NULL
  );
  `,
  // v4: session and API tokens shared by the masters (their SHA-256, never the token).
  `
  CREATE TABLE api_tokens (
    id text PRIMARY KEY,
    hash text NOT NULL,
    "user" text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('session', 'api')),
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    revoked_at bigint,
    created_by text,
    description text
  );
  CREATE INDEX api_tokens_expiry ON api_tokens (expires_at);
  `,
  // v5: the event bus across masters: each master writes its events in batches, one NOTIFY
  // brine_events per batch, and reads the others' rows; rows live a minute.
  `
  CREATE TABLE bus_events (
    id bigserial PRIMARY KEY,
    master_id text NOT NULL,
    tag text NOT NULL,
    data bytea,
    stamp bigint NOT NULL
  );
  CREATE INDEX bus_events_stamp ON bus_events (stamp);
  `,
  // v6: job owners and frames routed between masters (routing/routing-schema.ts).
  ROUTING_MIGRATION,
  // v7: enrollment tokens (their SHA-256) and the audit log, shared by the masters: a token
  // made on one master admits a minion on any, once; any master lists every master's audit.
  `
  CREATE TABLE enroll_tokens (
    hash text PRIMARY KEY,
    expires_at bigint NOT NULL,
    id_glob text
  );
  CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at bigint NOT NULL,
    master_id text NOT NULL,
    "user" text,
    outcome text NOT NULL,
    entry jsonb NOT NULL
  );
  CREATE INDEX audit_log_at ON audit_log (at, id);
  CREATE INDEX audit_log_user ON audit_log ("user", at, id);
  `,
];

/** The schema version this build writes. */
export const PG_SCHEMA_VERSION = pgMigrations.length;

/**
 * The advisory lock key under which masters migrate: the first master to start applies the
 * migrations while the others wait, then finds nothing left to do. (A constant: 'brine' in ASCII.)
 */
export const MIGRATION_LOCK_KEY = 0x6272696e65;

/**
 * Brings the schema to {@link PG_SCHEMA_VERSION} under a session advisory lock, one migration
 * per transaction, each recorded in `brine_schema_migrations`. Throws `ERR_STORE_SCHEMA_NEWER`
 * when the database was migrated by a newer build.
 */
export function migratePg(db: PgBridge): void {
  db.run([{ text: 'SELECT pg_advisory_lock($1)', values: [MIGRATION_LOCK_KEY] }]);
  try {
    const [, current] = db.run([
      {
        text: `CREATE TABLE IF NOT EXISTS brine_schema_migrations (
          version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      },
      { text: 'SELECT coalesce(max(version), 0) AS version FROM brine_schema_migrations' },
    ]);
    const version = Number((current?.rows[0] as { version: number } | undefined)?.version ?? 0);
    if (version > PG_SCHEMA_VERSION) {
      throw new JobStoreError(
        JobStoreErrorCode.schemaNewer,
        `database schema ${version} is newer than ${PG_SCHEMA_VERSION}`,
      );
    }
    for (let v = version; v < PG_SCHEMA_VERSION; v++) {
      db.transaction([
        { text: pgMigrations[v]! },
        { text: 'INSERT INTO brine_schema_migrations (version) VALUES ($1)', values: [v + 1] },
      ]);
    }
  } finally {
    db.run([{ text: 'SELECT pg_advisory_unlock($1)', values: [MIGRATION_LOCK_KEY] }]);
  }
}
