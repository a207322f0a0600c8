/**
 * One audit record, as its audit log line says it: an API request (method, route, status), or
 * a job the reactor or the scheduler started as its identity (`source`).
 */
export interface AuditEntry {
  /** When the request ended or the job was started, ms since the epoch. */
  at: number;
  /** The master that served it; set by a shared trail. */
  master?: string;
  user: string | null;
  tokenId?: string;
  /** `reactor` or `schedule` for an automated call; absent for an API request. */
  source?: string;
  method?: string;
  route?: string;
  status?: number;
  outcome: 'ok' | 'denied' | 'error';
  code?: string;
  fun?: string;
  target?: string;
  jid?: string;
  minions?: number;
  detail?: string;
  ip?: string;
  durationMs?: number;
  aborted?: true;
}

/** An audit log line's fields as an entry at `at`, without the fields it left undefined. */
export function auditEntry(at: number, line: Record<string, unknown>): AuditEntry {
  return Object.fromEntries(
    Object.entries({ at, ...line }).filter(([k, v]) => v !== undefined && k !== 'audit'),
  ) as unknown as AuditEntry;
}

/** What {@link AuditTrail.list} selects: newest first. */
export interface AuditQuery {
  /** Entries at or after, ms since the epoch. */
  since?: number;
  /** Entries before, ms since the epoch. */
  until?: number;
  user?: string;
  outcome?: AuditEntry['outcome'];
  /** @default 100 */
  limit?: number;
}

/**
 * Where the master keeps its audit records beside the log line. An implementation owes:
 * `record` never throws and never blocks on I/O for long (a request's end calls it); `list`
 * answers newest first and may throw the store's errors (the API maps an outage to 503);
 * `purgeBefore` is idempotent, since every master sharing one table runs it.
 */
export interface AuditTrail {
  /** Keeps one entry. */
  record(entry: AuditEntry): void;
  /** The entries the query selects, newest first. */
  list(query: AuditQuery): AuditEntry[];
  /** Deletes the entries from before `beforeMs` (ms since the epoch); resolves with how many went. */
  purgeBefore(beforeMs: number): Promise<number>;
  /** Writes what is pending and stops; resolves once written. */
  close(): Promise<void>;
}

/** The default limit of {@link AuditTrail.list}. */
export const AUDIT_LIST_DEFAULT = 100;

/** Whether an entry passes a query's filters (its limit aside). */
export function auditMatches(e: AuditEntry, q: AuditQuery): boolean {
  return (
    (q.since === undefined || e.at >= q.since) &&
    (q.until === undefined || e.at < q.until) &&
    (q.user === undefined || e.user === q.user) &&
    (q.outcome === undefined || e.outcome === q.outcome)
  );
}

/**
 * One master's recent audit records in memory, the last `keep` of them (the log stays the
 * durable record of a single master; several masters share a table instead, docs/scale.md).
 */
export function memoryAuditTrail(keep = 10_000): AuditTrail {
  let ring: AuditEntry[] = [];
  let next = 0;
  return {
    record: (e) => {
      if (ring.length < keep) ring.push(e);
      else ring[next] = e;
      next = (next + 1) % keep;
    },
    list: (q) => {
      const ordered = ring.length < keep ? ring : [...ring.slice(next), ...ring.slice(0, next)];
      const out: AuditEntry[] = [];
      const limit = q.limit ?? AUDIT_LIST_DEFAULT;
      for (let i = ordered.length - 1; i >= 0 && out.length < limit; i--)
        if (auditMatches(ordered[i]!, q)) out.push(ordered[i]!);
      return out;
    },
    purgeBefore: (beforeMs) => {
      const ordered = ring.length < keep ? ring : [...ring.slice(next), ...ring.slice(0, next)];
      const kept = ordered.filter((e) => e.at >= beforeMs);
      ring = kept;
      next = kept.length % keep;
      return Promise.resolve(ordered.length - kept.length);
    },
    close: () => Promise.resolve(),
  };
}
