import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { auditEntry, type AuditTrail } from '../../audit/audit-trail.js';
import type { Metrics } from './metrics.js';

/** What a request's audit line says beside method, route and status; handlers fill it in. */
export interface AuditFields {
  user?: string;
  tokenId?: string;
  fun?: string;
  target?: string;
  jid?: string;
  /** Minions a job targeted. */
  minions?: number;
  /** The error code of a refused or failed request. */
  code?: string;
  /** A hook's name, a salt-api client, a token id acted on: what else identifies the action. */
  detail?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Filled in while the request is handled; logged once when the response closes. */
    audit: AuditFields;
  }
}

const MAX_FIELD = 200;

/** A target as an audit line shows it: a string, at most 200 characters (a 10,000-id list is not logged whole). */
export function auditTarget(target: string | readonly string[]): string {
  const text = typeof target === 'string' ? target : target.join(',');
  return text.length > MAX_FIELD ? `${text.slice(0, MAX_FIELD)}…(${text.length} chars)` : text;
}

/** The route pattern, or for an unmatched request its path without the query (which may hold `?token=`). */
function routeOf(req: FastifyRequest): string {
  const pattern = req.routeOptions.url;
  if (pattern) return pattern;
  const path = req.url.split('?')[0] ?? '';
  return path.length > MAX_FIELD ? path.slice(0, MAX_FIELD) : path;
}

/**
 * Logs one audit line per request (`audit: true`): who (user and token id, never the token),
 * method, route pattern, status, outcome, and the job's function, target and jid when there is
 * one; and records the request's latency. Lines are written when the response closes, so
 * streams, refusals and unmatched routes are all covered. Arguments, passwords, tokens and
 * signatures are never logged. With `auditTrail`, each entry is also kept there.
 */
export function installAudit(
  app: FastifyInstance,
  deps: { log: Logger; metrics: Metrics; now(): number; auditTrail?: AuditTrail },
): void {
  app.decorateRequest('audit', null as unknown as AuditFields);
  app.addHook('onRequest', (req, reply, done) => {
    req.audit = {};
    const started = deps.now();
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      const route = routeOf(req);
      const seconds = (deps.now() - started) / 1000;
      deps.metrics.observeHttp(req.method, req.routeOptions.url ? route : 'unmatched', status, seconds);
      const a = req.audit;
      const line = {
        user: a.user ?? null,
        tokenId: a.tokenId,
        method: req.method,
        route,
        status,
        outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'error',
        code: a.code,
        fun: a.fun,
        target: a.target,
        jid: a.jid,
        minions: a.minions,
        detail: a.detail,
        ip: req.ip,
        durationMs: Math.round(seconds * 1000),
        ...(reply.raw.writableFinished ? {} : { aborted: true }),
      };
      deps.log.info({ audit: true, ...line }, 'api request');
      // The same entry, without its unset fields, where the API can list it (several masters: one table).
      deps.auditTrail?.record(auditEntry(deps.now(), line));
    });
    done();
  });
}
