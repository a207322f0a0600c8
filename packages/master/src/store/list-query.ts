import type { JobFilter } from '../core/job-store.js';

/** Jobs `listJobs` returns when the filter names no limit. */
export const DEFAULT_LIST_LIMIT = 50;
/** Most jobs one `listJobs` call returns, whatever the filter asks. */
export const MAX_LIST_LIMIT = 1000;

/** The page a filter asks for, clamped: limit in [0, {@link MAX_LIST_LIMIT}], offset >= 0. */
export function pageOf(filter: JobFilter): { limit: number; offset: number } {
  const limit = Math.trunc(filter.limit ?? DEFAULT_LIST_LIMIT);
  const offset = Math.trunc(filter.offset ?? 0);
  return {
    limit: Number.isFinite(limit) ? Math.min(Math.max(limit, 0), MAX_LIST_LIMIT) : DEFAULT_LIST_LIMIT,
    offset: Number.isFinite(offset) ? Math.max(offset, 0) : 0,
  };
}

/** The text a target is filtered on: the string itself, or a list joined with `,` (Salt's `-L`). */
export function targetText(target: string | string[]): string {
  return Array.isArray(target) ? target.join(',') : target;
}

/** The SQL function the SQLite store registers for globs SQLite's GLOB would read differently. */
export const GLOB_FUNCTION = 'brine_glob';

/** A `SELECT` over `jobs` for a filter, newest first, with its parameters in order. */
export interface ListQuery {
  sql: string;
  params: (string | number)[];
}

/**
 * Builds the listing query. The WHERE clause only uses conditions that match an index in the
 * schema (`ended_at IS NULL` is spelled exactly as the partial index says).
 */
export function buildListQuery(columns: string, filter: JobFilter): ListQuery {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.fun !== undefined) {
    // `*` and `?` mean the same in GLOB and in the protocol's fnmatch, and GLOB can use the index
    // on a literal prefix. Bracket classes differ (`[!a]`, `[^a]`, a leading `]`), so those go
    // through the protocol's own matcher, registered as a function: one meaning in both stores.
    where.push(filter.fun.includes('[') ? `${GLOB_FUNCTION}(?, fun)` : 'fun GLOB ?');
    params.push(filter.fun);
  }
  if (filter.target !== undefined) {
    where.push('target = ?');
    params.push(filter.target);
  }
  if (filter.user !== undefined) {
    where.push('user = ?');
    params.push(filter.user);
  }
  if (filter.since !== undefined) {
    where.push('started_at >= ?');
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    where.push('started_at < ?');
    params.push(filter.until);
  }
  // `active: false` means "no filter", as an omitted flag does, not "finished only".
  if (filter.active === true) where.push('ended_at IS NULL');
  const { limit, offset } = pageOf(filter);
  params.push(limit, offset);
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return {
    sql: `SELECT ${columns} FROM jobs${clause} ORDER BY started_at DESC, jid DESC LIMIT ? OFFSET ?`,
    params,
  };
}
