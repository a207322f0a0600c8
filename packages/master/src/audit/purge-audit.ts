import type { Logger } from 'pino';
import type { AuditTrail } from './audit-trail.js';

/** What {@link purgeOldAudit} needs. */
export interface AuditPurgeOptions {
  trail: Pick<AuditTrail, 'purgeBefore'>;
  /** How long an audit entry is kept (`audit_keep_days`); 0 keeps every entry. */
  keepMs: number;
  now(): number;
  log: Pick<Logger, 'info' | 'warn'>;
  /** How often to purge. @default 3_600_000 (hourly) */
  everyMs?: number;
}

/**
 * Deletes audit entries older than `keepMs` now and then every `everyMs`, as the job cache is
 * purged, logging how many went. Each master sharing the table runs it; a delete by age is
 * idempotent, so whichever runs first does the work. A failed purge is logged and tried again
 * at the next turn. The timer never holds the process open. @returns a function that stops it
 */
export function purgeOldAudit(o: AuditPurgeOptions): () => void {
  if (o.keepMs <= 0) return () => {};
  const purge = () =>
    o.trail.purgeBefore(o.now() - o.keepMs).then(
      (removed) => removed > 0 && o.log.info({ removed }, 'old audit entries purged'),
      (err: unknown) => o.log.warn({ err: (err as Error).message }, 'could not purge the audit log'),
    );
  const timer = setInterval(() => void purge(), o.everyMs ?? 3_600_000);
  timer.unref();
  void purge();
  return () => clearInterval(timer);
}
