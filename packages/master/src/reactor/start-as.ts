import type { Logger } from 'pino';
import { ApiErrorCode, type JobRequest, type TargetFacts } from '@brine/protocol';
import type { JobManager, StartRefusal, StartedJob } from '../core/job-manager.js';
import type { MinionRegistry } from '../core/registry.js';
import type { Grants } from '../http/auth/acl.js';
import { auditEntry, type AuditTrail } from '../audit/audit-trail.js';
import { auditTarget } from '../http/shared/audit.js';
import { Area } from '../http/auth/acl.js';
import { PillarErrorCode } from '../pillar/errors.js';

/** Refusal codes an audit line calls `denied`, as the API's 403s. */
const DENIALS: ReadonlySet<string> = new Set([ApiErrorCode.forbidden, PillarErrorCode.OVERRIDE_DENIED]);

/** A configured identity that the reactor or the scheduler acts as. */
export interface Identity {
  user: string;
  grants: Grants;
}

/** What {@link startJobAs} needs. */
export interface StartAsDeps {
  manager: Pick<JobManager, 'start' | 'preview'>;
  registry: Pick<MinionRegistry, 'get'>;
  /** The audit logger: one line per attempt, shaped like the API's. */
  audit: Logger;
  /** Where each audit line is also kept, for `GET /api/v1/audit`. @default none */
  trail?: Pick<AuditTrail, 'record'>;
  /** The clock of the trail's entries. @default Date.now */
  now?: () => number;
}

/** The result of a job started by automation: started, or refused with a code. */
export type StartAsResult = { ok: true; job: StartedJob } | { ok: false; code: StartRefusal['code']; message: string };

/** Where an automated call came from, for its audit line. */
export interface AuditSource {
  /** `reactor` or `schedule`. */
  source: string;
  /** The reaction id and tag, or the schedule name. */
  detail: string;
}

/**
 * Starts a job as an identity under its ACL, with the API's rules: a call no grant allows is
 * refused before the target is evaluated, `pillar=` overrides need `@pillar_override`, an empty
 * match starts nothing, and every selected minion must be allowed. Writes one audit line (`audit: true`,
 * `source`), like an API request's, whatever the outcome; never throws.
 */
export function startJobAs(deps: StartAsDeps, who: Identity, request: JobRequest, from: AuditSource): StartAsResult {
  const call = { fun: request.fun, args: request.args, kwargs: request.kwargs };
  const facts = (ids: readonly string[]): TargetFacts[] => ids.map((id) => deps.registry.get(id) ?? { id, grains: {} });
  const forbidden = {
    ok: false as const,
    code: ApiErrorCode.forbidden,
    message: `${who.user} may not run ${request.fun} on this target`,
  };
  let result: StartAsResult;
  if (!who.grants.mayCall(call)) result = forbidden;
  else if (Object.hasOwn(request.kwargs, 'pillar') && !who.grants.admin && !who.grants.can(Area.pillarOverride))
    // The API's rule for `pillar=` (job-access.ts): data merged over a minion's compiled pillar.
    result = {
      ok: false,
      code: PillarErrorCode.OVERRIDE_DENIED,
      message: `${who.user} may not pass pillar= overrides (needs @pillar_override)`,
    };
  else {
    const started = deps.manager.start(request, who.user, (ids) =>
      who.grants.denied(call, facts(ids)).length === 0
        ? undefined
        : { code: ApiErrorCode.forbidden, message: forbidden.message },
    );
    result = started.ok ? started : { ok: false, code: started.error.code, message: started.error.message };
  }
  const line = {
    source: from.source,
    user: who.user,
    fun: request.fun,
    target: auditTarget(request.target),
    outcome: result.ok ? 'ok' : DENIALS.has(result.code) ? 'denied' : 'error',
    ...(result.ok ? { jid: result.job.jid, minions: result.job.minions.length } : { code: result.code }),
    detail: from.detail,
  };
  deps.audit.info({ audit: true, ...line }, `${from.source} call`);
  deps.trail?.record(auditEntry((deps.now ?? Date.now)(), line));
  return result;
}
