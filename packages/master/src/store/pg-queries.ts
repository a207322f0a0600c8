import { encodeValue, globToRegExp } from '@brine/protocol';
import type { JobFilter, ResultWrite } from '../core/job-store.js';
import { pageOf } from './list-query.js';
import type { Statement } from './pg-bridge.js';

/** The `jobs` columns a listing reads, named as `sqlite-rows`' `ListingRow` expects them. */
export const PG_LISTING_COLUMNS =
  'jid, fun, target, target_type, "user" AS user, started_at, ended_at, targeted, summary, target_list, args, kwargs';

/** The `jobs` columns a lookup reads: the listing and the minions. */
export const PG_JOB_COLUMNS = `${PG_LISTING_COLUMNS}, minions`;

/**
 * The listing query for a filter, newest first, with `$n` parameters. A function glob becomes
 * an anchored regular expression (the protocol's own translation, so `[!a]`, `[^a]` and a
 * leading `]` mean what they mean to the SQLite store and to targeting).
 */
export function buildPgListQuery(filter: JobFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (filter.fun !== undefined) add('fun ~ ?', globToRegExp(filter.fun).source);
  if (filter.target !== undefined) add('target = ?', filter.target);
  if (filter.user !== undefined) add('"user" = ?', filter.user);
  if (filter.since !== undefined) add('started_at >= ?', filter.since);
  if (filter.until !== undefined) add('started_at < ?', filter.until);
  // `active: false` means "no filter", as an omitted flag does, not "finished only".
  if (filter.active === true) where.push('ended_at IS NULL');
  const { limit, offset } = pageOf(filter);
  params.push(limit, offset);
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return {
    sql: `SELECT ${PG_LISTING_COLUMNS} FROM jobs${clause} ORDER BY started_at DESC, jid DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  };
}

// Only a row createJob made takes a result (an UPDATE, never an insert), and nothing replaces a
// `returned` row but a `returned` from a later attempt: the rules of the SQLite store.
const UPDATE_RESULTS = `UPDATE job_minions m SET outcome = u.outcome, success = u.success, retcode = u.retcode,
    ret = u.ret, reason = u.reason, duration_ms = u.duration_ms, attempt = u.attempt
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::int[], $6::bytea[], $7::text[],
      $8::float8[], $9::int[]) WITH ORDINALITY
    AS u(jid, minion_id, outcome, success, retcode, ret, reason, duration_ms, attempt, n)
  WHERE m.jid = u.jid AND m.minion_id = u.minion_id
    AND (m.outcome IS DISTINCT FROM 'returned' OR (u.outcome = 'returned' AND m.attempt < u.attempt))
  RETURNING u.n`;

/** One UPDATE over a set of rows with distinct (jid, minion), and where each came from in the batch. */
export interface ResultRound {
  statement: Statement;
  /** `indexes[n - 1]` is the batch index of the statement's n-th row. */
  indexes: number[];
}

/**
 * Splits a batch into rounds of one UPDATE each: round k holds the k-th result of each
 * (jid, minion) in the batch. One UPDATE changes a row at most once, so a minion's second
 * result in a batch goes in a later round, and is judged against the first as if sent alone
 * (a batch is nearly always one round: a minion rarely returns twice within milliseconds).
 */
export function resultRounds(rows: readonly ResultWrite[]): ResultRound[] {
  const seen = new Map<string, number>();
  const rounds: { rows: ResultWrite[]; indexes: number[] }[] = [];
  rows.forEach((row, i) => {
    const key = `${row.jid}\u0000${row.id}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    (rounds[k] ??= { rows: [], indexes: [] }).rows.push(row);
    rounds[k]!.indexes.push(i);
  });
  return rounds.map((r) => ({ statement: { text: UPDATE_RESULTS, values: columnsOf(r.rows) }, indexes: r.indexes }));
}

function columnsOf(rows: readonly ResultWrite[]): unknown[] {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const row of rows) {
    const values = [
      row.jid,
      row.id,
      row.outcome,
      row.success,
      row.retcode ?? null,
      // `ret: null` is a value and is stored; only an absent ret is SQL NULL.
      row.ret === undefined ? null : encodeValue(row.ret),
      row.reason ?? null,
      row.durationMs ?? null,
      row.attempt ?? 0,
    ];
    values.forEach((v, c) => cols[c]!.push(v));
  }
  return cols;
}
