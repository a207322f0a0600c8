import type { FastifyRequest } from 'fastify';
import {
  ApiErrorCode,
  jobCalls,
  ErrorCode,
  type FunctionCall,
  type JobRequest,
  type TargetFacts,
} from '@brine/protocol';
import type { StartedJob, StartRefusal } from '../../core/job-manager.js';
import { Area } from './acl.js';
import { auditTarget } from '../shared/audit.js';
import type { Principal } from './auth.js';
import { ForbiddenError, HttpError } from '../shared/errors.js';
import type { MasterServices } from '../shared/services.js';

/** What checking and starting a job reads. */
export type JobAccessServices = Pick<MasterServices, 'manager' | 'metrics' | 'registry'>;

/** The longest target expression the master evaluates, in characters (each id, for a list). */
export const MAX_TARGET_CHARS = 1024;

const FORBIDDEN_TARGET =
  'not allowed to run this function on every minion the target selects (or the target selects none you may use). No command was sent, no jid was assigned.';

/** The facts of a targeted minion for the ACL; a listed id the master does not know has no grains. */
function factsOf(s: JobAccessServices, id: string): TargetFacts {
  return s.registry.get(id) ?? { id, grains: {} };
}

/**
 * 400 `ERR_TARGET_TOO_LONG` for a target over {@link MAX_TARGET_CHARS}: a bound on what a caller
 * makes the master evaluate against every minion (issue #13 finding 2).
 */
function checkTargetSize(request: JobRequest): void {
  const t = request.target;
  const longest =
    typeof t === 'string'
      ? t.length
      : request.targetType === 'list'
        ? t.reduce((n, id) => Math.max(n, id.length), 0)
        : t.join(',').length;
  if (longest > MAX_TARGET_CHARS)
    throw new HttpError(400, ApiErrorCode.targetTooLong, `the target is longer than ${MAX_TARGET_CHARS} characters`);
}

/**
 * Checks a job against the principal's ACL without starting it: 403 when the target selects a
 * minion the function (with these arguments) is not allowed on, or selects none at all (an empty
 * match must never mean "allowed", CVE-2022-22941, and telling "none" from "not yours" would show
 * which minions exist). Returns the selected minions.
 *
 * Where the ACL can answer alone (no grant allows this function with these arguments anywhere),
 * it answers 403 before the target is evaluated against the fleet: a user without the grant
 * cannot make the master run its regex over every minion (issue #13 finding 2).
 */
export function checkJob(s: JobAccessServices, p: Principal, request: JobRequest): string[] {
  checkTargetSize(request);
  // A compound job is allowed only when each of its functions is (Salt checks each too).
  const calls = callsOf(request);
  if (!calls.every((call) => p.grants.mayCall(call))) throw new ForbiddenError(FORBIDDEN_TARGET);
  const preview = s.manager.preview(request.target, request.targetType);
  if (!preview.ok) throw new HttpError(400, preview.error.code, preview.error.message, preview.error);
  if (preview.minions.length === 0 && !calls.every((call) => p.grants.allowsEverywhere(call)))
    throw new ForbiddenError(FORBIDDEN_TARGET);
  const facts = preview.minions.map((id) => factsOf(s, id));
  if (calls.some((call) => p.grants.denied(call, facts).length > 0)) throw new ForbiddenError(FORBIDDEN_TARGET);
  return preview.minions;
}

/** The minions a job would target, after the same checks as starting it (none for the admin). */
export function previewJob(s: JobAccessServices, p: Principal, request: JobRequest): string[] {
  if (!p.grants.admin) return checkJob(s, p, request);
  checkTargetSize(request);
  const preview = s.manager.preview(request.target, request.targetType);
  if (!preview.ok) throw new HttpError(400, preview.error.code, preview.error.message, preview.error);
  return preview.minions;
}

/**
 * Starts a job for a principal. The target is resolved first and every selected minion must be
 * allowed (see {@link checkJob}); JobManager re-checks the minions it actually selects through its
 * `allowed` callback, so nothing is published for a refused job. Fills in the request's audit line.
 */
export function startJob(s: JobAccessServices, p: Principal, request: JobRequest, req: FastifyRequest): StartedJob {
  req.audit.fun = request.fun;
  req.audit.target = auditTarget(request.target);
  checkPillarOverride(p, request, req);
  if (!p.grants.admin) checkJob(s, p, request);
  else checkTargetSize(request);
  const calls = callsOf(request);
  const allowed = (ids: string[]): StartRefusal | undefined => {
    const facts = ids.map((id) => factsOf(s, id));
    return calls.every((call) => p.grants.denied(call, facts).length === 0)
      ? undefined
      : { code: ApiErrorCode.forbidden, message: FORBIDDEN_TARGET };
  };
  const started = s.manager.start(request, p.user, allowed);
  if (!started.ok) {
    const e = started.error;
    const status = e.code === ApiErrorCode.noMinions ? 404 : e.code === ApiErrorCode.forbidden ? 403 : 400;
    throw new HttpError(status, e.code, e.message, status === 400 ? e : undefined);
  }
  s.metrics.jobsStarted++;
  req.audit.jid = started.job.jid;
  req.audit.minions = started.job.minions.length;
  return started.job;
}

/**
 * 403 `ERR_PILLAR_OVERRIDE_DENIED` for a job carrying `pillar=` (data merged over the compiled
 * pillar on the minion) from a principal without `@pillar_override`. An allowed override is
 * noted in the audit line (`detail: pillar_override`), never its values.
 */
export function checkPillarOverride(p: Principal, request: JobRequest, req: FastifyRequest): void {
  if (!Object.hasOwn(request.kwargs, 'pillar')) return;
  req.audit.detail = 'pillar_override';
  if (p.grants.admin || p.grants.can(Area.pillarOverride)) return;
  throw new HttpError(
    403,
    ErrorCode.PILLAR_OVERRIDE_DENIED,
    'pillar= overrides need the @pillar_override grant. No command was sent, no jid was assigned.',
  );
}

/** Whether a principal may see a job: with `@jobs` every job, otherwise the ones it started. */
export function maySeeJob(p: Principal, jobUser: string): boolean {
  return p.grants.admin || p.grants.can(Area.jobs) || jobUser === p.user;
}

/** The user of an active job, or undefined when no such job runs. */
export function activeJobUser(s: Pick<MasterServices, 'manager'>, jid: string): string | undefined {
  return s.manager.active().find((j) => j.jid === jid)?.user;
}

/** A job's function calls, one per function of a compound job (the schema has checked its shape). */
function callsOf(request: JobRequest): FunctionCall[] {
  const calls = jobCalls(request);
  if (!calls.ok) throw new HttpError(400, ApiErrorCode.badRequest, calls.message);
  return calls.calls;
}
