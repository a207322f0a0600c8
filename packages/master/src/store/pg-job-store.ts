import { encodeValue } from '@brine/protocol';
import { defer, of } from 'rxjs';
import type { JobFilter, JobListing, JobLookup, JobRecord, JobStore, ResultWrite } from '../core/job-store.js';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';
import { openPgAsyncBridge, type PgAsyncBridge } from './pg-async-bridge.js';
import {
  openPgBridge,
  type PgBridge,
  type PgBridgeOptions,
  type PgOrderedBridge,
  type Statement,
  type StatementResult,
} from './pg-bridge.js';
import { PG_JOB_COLUMNS, PG_LISTING_COLUMNS, buildPgListQuery, resultRounds, type ResultRound } from './pg-queries.js';
import { migratePg } from './pg-schema.js';
import {
  jobFromRow,
  jobParams,
  listingFromRow,
  minionFromRow,
  type JobRow,
  type ListingRow,
  type MinionRow,
} from './sqlite-rows.js';

/** The channel on which each committed batch of results is announced, once per batch. */
export const RETURNS_CHANNEL = 'brine_returns';

/** Longest NOTIFY payload PostgreSQL takes is 8000 bytes; jids past this budget are left out. */
const NOTIFY_BUDGET_BYTES = 7000;

/** Options for {@link openPgJobStore}. */
export type PgJobStoreOptions = PgBridgeOptions;

const SQL = {
  // One statement: the job row, and a pending row per distinct minion only if the job row was
  // new. `created` 0 means the jid was already stored and nothing changed.
  createJob: `WITH j AS (
      INSERT INTO jobs (jid, fun, target, target_type, "user", started_at, ended_at, targeted, summary,
        target_list, args, kwargs, minions)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
      ON CONFLICT (jid) DO NOTHING RETURNING jid),
    p AS (INSERT INTO job_minions (jid, minion_id, ordinal)
      SELECT j.jid, t.id, t.n FROM j CROSS JOIN unnest($14::text[], $15::int[]) AS t(id, n))
    SELECT count(*)::int AS created FROM j`,
  finishJob: 'UPDATE jobs SET ended_at = $1, summary = $2 WHERE jid = $3 AND ended_at IS NULL',
  noteAttempt: `INSERT INTO job_attempts (jid, max_attempt) SELECT jid, $1 FROM jobs WHERE jid = $2
    ON CONFLICT (jid) DO UPDATE SET max_attempt = greatest(job_attempts.max_attempt, excluded.max_attempt)`,
  selectAttempt: 'SELECT max_attempt FROM job_attempts WHERE jid = $1',
  selectJob: `SELECT ${PG_JOB_COLUMNS} FROM jobs WHERE jid = $1`,
  selectMinions: `SELECT minion_id, outcome, success::int AS success, retcode, ret, reason, duration_ms, attempt
    FROM job_minions WHERE jid = $1 ORDER BY ordinal`,
  selectUnfinished: `SELECT ${PG_LISTING_COLUMNS} FROM jobs WHERE ended_at IS NULL ORDER BY started_at, jid`,
  hasReturn: `SELECT 1 FROM job_minions WHERE jid = $1 AND minion_id = $2 AND outcome = 'returned'`,
  purgeMinions: 'DELETE FROM job_minions WHERE jid IN (SELECT jid FROM jobs WHERE started_at < $1)',
  purgeAttempts: 'DELETE FROM job_attempts WHERE jid IN (SELECT jid FROM jobs WHERE started_at < $1)',
  purgeJobs: 'DELETE FROM jobs WHERE started_at < $1',
  // The batch's transaction id rides along (`xid`), so a reader fetches exactly the rows this
  // batch wrote (their `xmin`), not every stored row of the jobs it names.
  notify: `SELECT pg_notify($1, jsonb_set($2::jsonb, '{xid}', to_jsonb(xid(pg_current_xact_id())::text))::text)`,
  // The asynchronous write's NOTIFY goes out after its commit, in a transaction of its own: the
  // writing transaction's id is read inside it and handed to this one.
  currentXid: `SELECT xid(pg_current_xact_id())::text AS xid`,
  notifyXid: `SELECT pg_notify($1, jsonb_set($2::jsonb, '{xid}', to_jsonb($3::text))::text)`,
} as const;

/**
 * Opens a job store in a PostgreSQL database, applying migrations under an advisory lock first.
 * Every write method has committed when it returns (see {@link PgBridge}), so the ingest's rule
 * holds as with SQLite: a return is acked only once stored; `writeResults$` emits only then.
 * Each `writeResults` batch sends one NOTIFY on {@link RETURNS_CHANNEL} with the jids it
 * touched, never one per row. Throws `ERR_STORE_UNREACHABLE` when the database does not answer
 * at start.
 */
export function openPgJobStore(options: PgJobStoreOptions): JobStore {
  const db = openPgBridge(options);
  try {
    migratePg(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return pgJobStoreOn(db, openResultWriter(options));
}

/** The connection of {@link pgJobStoreOn}'s `writeResults$`, its own worker; it connects at the first write. */
export function openResultWriter(options: PgBridgeOptions): PgAsyncBridge {
  return openPgAsyncBridge({ ...options, applicationName: `${options.applicationName ?? 'brine-master'}-ingest` });
}

/**
 * A job store on an open, migrated bridge; its `close` closes the bridge and `writer`.
 *
 * `writeResults$` (the ingest's path) writes through `writer`, a connection of its own, so the
 * event loop goes on while PostgreSQL commits and the blocking calls on `db` (a job's
 * `createJob`, routing's reads) never wait behind a batch in flight. Its NOTIFY then goes out
 * on `db`, not blocking either, once the batch has committed, and the write emits only after
 * that: the notification keeps `db`'s backend pid (routing skips this master's own batches by
 * it), and a master that dies between the commit and the NOTIFY has acked nothing, so the
 * minions send those returns again and the duplicate batch, wherever it lands, names the jids.
 */
export function pgJobStoreOn(db: PgOrderedBridge, writer: PgAsyncBridge): JobStore {
  const one = (text: string, values: unknown[]) => db.run([{ text, values }])[0]!;
  return {
    createJob: (job) => createJob(db, job),
    writeResults: (rows) => {
      if (rows.length === 0) return [];
      const batch = resultBatch(rows);
      return storedFlags(batch.rounds, rows.length, db.transaction(batch.statements));
    },
    writeResults$: (rows) => {
      if (rows.length === 0) return of([]);
      return defer(async () => {
        const batch = resultBatch(rows);
        const results = await writer.transaction([
          ...batch.rounds.map((r) => r.statement),
          { text: SQL.currentXid, values: [] },
        ]);
        // Readers fetch the rows by the transaction that wrote them (their xmin), so the
        // notification names the writer's transaction, not its own.
        const xid = results[batch.rounds.length]!.rows[0]!.xid as string;
        await db.transactionAsync([{ text: SQL.notifyXid, values: [RETURNS_CHANNEL, notifyPayload(rows), xid] }]);
        return storedFlags(batch.rounds, rows.length, results);
      });
    },
    finishJob: (jid, endedAt, summary) => {
      one(SQL.finishJob, [endedAt, encodeValue(summary), jid]);
    },
    lookupJob: (jid) => lookupJob(db, jid),
    listJobs: (filter: JobFilter = {}) => {
      const query = buildPgListQuery(filter);
      return (one(query.sql, query.params).rows as unknown as ListingRow[]).map(listingFromRow);
    },
    unfinishedJobs: (): JobListing[] =>
      (one(SQL.selectUnfinished, []).rows as unknown as ListingRow[]).map(listingFromRow),
    notePublishedAttempt: (jid, attempt) => {
      one(SQL.noteAttempt, [attempt, jid]);
    },
    publishedAttempt: (jid) => (one(SQL.selectAttempt, [jid]).rows[0]?.max_attempt as number | undefined) ?? 0,
    hasReturn: (jid, minionId) => one(SQL.hasReturn, [jid, minionId]).rowCount > 0,
    purgeBefore: (beforeMs) =>
      db.transaction([
        { text: SQL.purgeMinions, values: [beforeMs] },
        { text: SQL.purgeAttempts, values: [beforeMs] },
        { text: SQL.purgeJobs, values: [beforeMs] },
      ])[2]!.rowCount,
    close: () => {
      writer.close();
      db.close();
    },
  };
}

function createJob(db: PgBridge, job: JobRecord): void {
  // Distinct ids at their first position: the pending rows, and the `targeted` count.
  const ordinals = new Map<string, number>();
  job.minions.forEach((id, i) => {
    if (!ordinals.has(id)) ordinals.set(id, i);
  });
  const values = [...jobParams(job, ordinals.size), [...ordinals.keys()], [...ordinals.values()]];
  const [result] = db.run([{ text: SQL.createJob, values }]);
  if ((result?.rows[0]?.created as number | undefined) !== 1) {
    throw new JobStoreError(JobStoreErrorCode.jidExists, `job ${job.jid} is already stored`);
  }
}

/** A batch's statements: one UPDATE per round, then the NOTIFY. */
function resultBatch(rows: readonly ResultWrite[]): {
  rounds: ResultRound[];
  notify: Statement;
  statements: Statement[];
} {
  const rounds = resultRounds(rows);
  // The NOTIFY is the transaction's last statement, so listeners hear of the batch only once
  // it has committed, and once for the whole batch.
  const notify = { text: SQL.notify, values: [RETURNS_CHANNEL, notifyPayload(rows)] };
  return { rounds, notify, statements: [...rounds.map((r) => r.statement), notify] };
}

/** Which rows of a batch the rounds' UPDATEs stored, by batch index. */
function storedFlags(rounds: ResultRound[], count: number, results: StatementResult[]): boolean[] {
  const stored = new Array<boolean>(count).fill(false);
  rounds.forEach((round, k) => {
    for (const row of results[k]!.rows) stored[round.indexes[(row.n as number) - 1]!] = true;
  });
  return stored;
}

/**
 * The NOTIFY payload of a batch: JSON `{jids}`, the distinct jids it wrote to, in order, within
 * PostgreSQL's 8000-byte limit (`more: true` when some were left out: a listener then rereads
 * what it follows); the statement adds `xid`, the writing transaction's id. A jid is named even when its rows turned out duplicates: the payload says
 * where to look, the store says what is there.
 */
export function notifyPayload(rows: readonly ResultWrite[]): string {
  const kept: string[] = [];
  let bytes = 0;
  for (const jid of new Set(rows.map((r) => r.jid))) {
    bytes += Buffer.byteLength(jid) + 3;
    if (bytes > NOTIFY_BUDGET_BYTES) return JSON.stringify({ jids: kept, more: true });
    kept.push(jid);
  }
  return JSON.stringify({ jids: kept });
}

function lookupJob(db: PgBridge, jid: string): JobLookup | undefined {
  // One snapshot for the job and its rows.
  const [job, minions] = db.transaction(
    [
      { text: SQL.selectJob, values: [jid] },
      { text: SQL.selectMinions, values: [jid] },
    ],
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
  );
  const row = job?.rows[0] as unknown as JobRow | undefined;
  if (row === undefined) return undefined;
  return { job: jobFromRow(row), minions: (minions!.rows as unknown as MinionRow[]).map(minionFromRow) };
}
