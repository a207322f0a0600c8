import { decodeValue, encodeValue, type JobSummary, type OutcomeValue, type TargetTypeValue } from '@brine/protocol';
import type { JobListing, JobRecord, ResultWrite, StoredMinionRow } from '../core/job-store.js';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';
import { targetText } from './list-query.js';

/** The `jobs` columns {@link listingFromRow} reads, in the order of {@link ListingRow}. */
export const LISTING_COLUMNS =
  'jid, fun, target, target_type, user, started_at, ended_at, targeted, summary, target_list, args, kwargs';

/** The `jobs` columns {@link jobFromRow} reads, in the order of {@link JobRow}: the listing and the minions. */
export const JOB_COLUMNS = `${LISTING_COLUMNS}, minions`;

/** A `jobs` row without its minion list, as better-sqlite3 returns it. */
export interface ListingRow {
  jid: string;
  fun: string;
  target: string;
  target_type: string;
  user: string;
  started_at: number;
  ended_at: number | null;
  targeted: number;
  summary: Buffer | null;
  target_list: Buffer | null;
  args: Buffer;
  kwargs: Buffer;
}

/** A whole `jobs` row as better-sqlite3 returns it. */
export interface JobRow extends ListingRow {
  minions: Buffer;
}

/** A `job_minions` row as `lookupJob` selects it. */
export interface MinionRow {
  minion_id: string;
  outcome: string | null;
  success: number;
  retcode: number | null;
  ret: Buffer | null;
  reason: string | null;
  duration_ms: number | null;
  attempt: number;
}

/** Decodes a stored msgpack value; a value that does not decode is `ERR_STORE_CORRUPT`. */
export function unpack(bytes: Uint8Array): unknown {
  const decoded = decodeValue(bytes);
  if (!decoded.ok) throw new JobStoreError(JobStoreErrorCode.corrupt, decoded.error.message);
  return decoded.value;
}

/**
 * The parameters of the `jobs` insert, in {@link JOB_COLUMNS} order. `targeted` is the number of
 * pending rows `createJob` inserted, which a repeated id does not count twice.
 */
export function jobParams(job: JobRecord, targeted: number): unknown[] {
  return [
    job.jid,
    job.fun,
    targetText(job.target),
    job.targetType,
    job.user,
    job.startedAt,
    job.endedAt ?? null,
    targeted,
    job.summary === undefined ? null : encodeValue(job.summary),
    Array.isArray(job.target) ? encodeValue(job.target) : null,
    encodeValue(job.args),
    encodeValue(job.kwargs),
    encodeValue(job.minions),
  ];
}

/** The fields a listing and a record share, from a `jobs` row. */
function commonFromRow(row: ListingRow): Omit<JobRecord, 'minions'> {
  const job: Omit<JobRecord, 'minions'> = {
    jid: row.jid,
    fun: row.fun,
    args: unpack(row.args) as unknown[],
    kwargs: unpack(row.kwargs) as Record<string, unknown>,
    target: row.target_list === null ? row.target : (unpack(row.target_list) as string[]),
    targetType: row.target_type as TargetTypeValue,
    user: row.user,
    startedAt: row.started_at,
  };
  if (row.ended_at !== null) job.endedAt = row.ended_at;
  if (row.summary !== null) job.summary = unpack(row.summary) as JobSummary;
  return job;
}

/** Turns a `jobs` row without its minions into a listing. */
export function listingFromRow(row: ListingRow): JobListing {
  return { ...commonFromRow(row), targeted: row.targeted };
}

/** Turns a `jobs` row back into the record `createJob` was given. */
export function jobFromRow(row: JobRow): JobRecord {
  return { ...commonFromRow(row), minions: unpack(row.minions) as string[] };
}

/** Turns a `job_minions` row into a stored minion row; absent fields stay absent. */
export function minionFromRow(row: MinionRow): StoredMinionRow {
  const out: StoredMinionRow = {
    id: row.minion_id,
    outcome: row.outcome as OutcomeValue | null,
    success: row.success === 1,
  };
  if (row.retcode !== null) out.retcode = row.retcode;
  if (row.ret !== null) out.ret = unpack(row.ret);
  if (row.reason !== null) out.reason = row.reason;
  if (row.duration_ms !== null) out.durationMs = row.duration_ms;
  if (row.attempt !== 0) out.attempt = row.attempt;
  return out;
}

/** The positional parameters of the result update (SQL.updateResult), in order. */
export function resultParams(row: ResultWrite): unknown[] {
  const attempt = row.attempt ?? 0;
  return [
    row.outcome,
    row.success ? 1 : 0,
    row.retcode ?? null,
    // `ret: null` is a value and is stored; only an absent ret is SQL NULL.
    row.ret === undefined ? null : encodeValue(row.ret),
    row.reason ?? null,
    row.durationMs ?? null,
    attempt,
    row.jid,
    row.id,
    row.outcome,
    attempt,
  ];
}
