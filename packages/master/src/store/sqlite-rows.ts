import { decodeValue, encodeValue, type JobSummary, type OutcomeValue, type TargetTypeValue } from '@brine/protocol';
import type { JobRecord, ResultWrite, StoredMinionRow } from '../core/job-store.js';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';
import { targetText } from './list-query.js';

/** The `jobs` columns {@link jobFromRow} reads, in the order of {@link JobRow}. */
export const JOB_COLUMNS =
  'jid, fun, target, target_type, user, started_at, ended_at, summary, target_list, args, kwargs, minions';

/** A `jobs` row as better-sqlite3 returns it. */
export interface JobRow {
  jid: string;
  fun: string;
  target: string;
  target_type: string;
  user: string;
  started_at: number;
  ended_at: number | null;
  summary: Buffer | null;
  target_list: Buffer | null;
  args: Buffer;
  kwargs: Buffer;
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
}

/** Decodes a stored msgpack value; a value that does not decode is `ERR_STORE_CORRUPT`. */
export function unpack(bytes: Uint8Array): unknown {
  const decoded = decodeValue(bytes);
  if (!decoded.ok) throw new JobStoreError(JobStoreErrorCode.corrupt, decoded.error.message);
  return decoded.value;
}

/** The parameters of the `jobs` insert, in {@link JOB_COLUMNS} order. */
export function jobParams(job: JobRecord): unknown[] {
  return [
    job.jid,
    job.fun,
    targetText(job.target),
    job.targetType,
    job.user,
    job.startedAt,
    job.endedAt ?? null,
    job.summary === undefined ? null : encodeValue(job.summary),
    Array.isArray(job.target) ? encodeValue(job.target) : null,
    encodeValue(job.args),
    encodeValue(job.kwargs),
    encodeValue(job.minions),
  ];
}

/** Turns a `jobs` row back into the record `createJob` was given. */
export function jobFromRow(row: JobRow): JobRecord {
  const job: JobRecord = {
    jid: row.jid,
    fun: row.fun,
    args: unpack(row.args) as unknown[],
    kwargs: unpack(row.kwargs) as Record<string, unknown>,
    target: row.target_list === null ? row.target : (unpack(row.target_list) as string[]),
    targetType: row.target_type as TargetTypeValue,
    user: row.user,
    startedAt: row.started_at,
    minions: unpack(row.minions) as string[],
  };
  if (row.ended_at !== null) job.endedAt = row.ended_at;
  if (row.summary !== null) job.summary = unpack(row.summary) as JobSummary;
  return job;
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
  return out;
}

/** The parameters of the result upsert: jid, minion, outcome, success, retcode, ret, reason, duration. */
export function resultParams(row: ResultWrite): unknown[] {
  return [
    row.jid,
    row.id,
    row.outcome,
    row.success ? 1 : 0,
    row.retcode ?? null,
    // `ret: null` is a value and is stored; only an absent ret is SQL NULL.
    row.ret === undefined ? null : encodeValue(row.ret),
    row.reason ?? null,
    row.durationMs ?? null,
  ];
}
