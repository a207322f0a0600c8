import { jobRequestSchema, type JobRequest } from '@brine/protocol';
import { z } from 'zod';
import { Permission, permits, type Principal } from './auth.js';
import { BadRequestError, ForbiddenError } from './errors.js';
import { checkJob } from './job-access.js';
import type { ApiServices } from './route.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One salt-api lowstate chunk; unknown keys are a runner's keyword arguments (Salt's rule). */
export const lowstateSchema = z
  .object({
    /** Required, except on `POST /minions`, which sets `local_async`. */
    client: z.string().max(32).optional(),
    tgt: z.union([z.string(), z.array(z.string())]).optional(),
    tgt_type: z.string().max(32).optional(),
    /** Salt's old name for `tgt_type`. */
    expr_form: z.string().max(32).optional(),
    fun: z.string().max(200).optional(),
    arg: z.unknown().optional(),
    kwarg: z.record(z.string(), z.unknown()).optional(),
    /** Seconds, as in Salt. */
    timeout: z.coerce.number().positive().max(86_400).optional(),
    batch: scalar.optional(),
    full_return: scalar.optional(),
    username: z.string().max(256).optional(),
    password: z.string().max(1024).optional(),
    eauth: z.string().max(32).optional(),
    token: z.string().max(512).optional(),
  })
  .loose();

/** A lowstate chunk as received. */
export type Lowstate = z.infer<typeof lowstateSchema>;

/** A request body of lowstate: a list, or (from a form) one chunk. */
export const lowstateBody = z.union([z.array(lowstateSchema).min(1).max(50), lowstateSchema]);

/** The salt-api clients Brine serves; `ssh`, `local_subset` and the `*_async` master clients are not. */
export const SALT_CLIENTS = ['local', 'local_async', 'local_batch', 'runner', 'wheel'] as const;
/** The runner functions the `runner` client serves. */
export const RUNNER_FUNS = [
  'jobs.list_jobs',
  'jobs.lookup_jid',
  'jobs.list_job',
  'jobs.active',
  'manage.up',
  'manage.down',
  'manage.status',
] as const;
/** The wheel functions the `wheel` client serves. */
export const WHEEL_FUNS = ['key.list_all', 'key.list', 'key.finger', 'key.accept', 'key.reject', 'key.delete'] as const;

/** A lowstate chunk, checked and typed. */
export type SaltCommand =
  | { client: 'local' | 'local_async' | 'local_batch'; request: JobRequest; fullReturn: boolean }
  | { client: 'runner' | 'wheel'; fun: string; kwargs: Record<string, unknown> };

/** Lowstate keys that are not a runner's keyword arguments. */
const LOWSTATE_KEYS = new Set(Object.keys(lowstateSchema.shape));
const truthy = (v: unknown) => v === true || v === 'true' || v === 'True' || v === '1';

function jobRequest(chunk: Lowstate, batch: boolean): JobRequest {
  const arg = chunk.arg === undefined ? [] : Array.isArray(chunk.arg) ? chunk.arg : [chunk.arg];
  const rawBatch = chunk.batch ?? (batch ? '50%' : undefined);
  const parsed = jobRequestSchema.safeParse({
    target: chunk.tgt,
    targetType: chunk.tgt_type ?? chunk.expr_form ?? 'glob',
    fun: chunk.fun,
    args: arg,
    kwargs: chunk.kwarg ?? {},
    ...(chunk.timeout === undefined ? {} : { timeoutMs: Math.ceil(chunk.timeout * 1000) }),
    ...(batch && rawBatch !== undefined
      ? { batch: /^\d+$/.test(String(rawBatch)) ? Number(rawBatch) : String(rawBatch) }
      : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field =
      { target: 'tgt', targetType: 'tgt_type', args: 'arg', kwargs: 'kwarg' }[String(issue.path[0])] ??
      issue.path.join('.');
    throw new BadRequestError(`lowstate ${field}: ${issue.message}`);
  }
  return parsed.data;
}

/** Types a lowstate chunk; 400 for an unknown client or function, or a job that does not validate. */
export function parseLowstate(chunk: Lowstate): SaltCommand {
  const client = chunk.client ?? '';
  if (client === 'local' || client === 'local_async' || client === 'local_batch')
    return { client, request: jobRequest(chunk, client === 'local_batch'), fullReturn: truthy(chunk.full_return) };
  const funs: readonly string[] = client === 'runner' ? RUNNER_FUNS : client === 'wheel' ? WHEEL_FUNS : [];
  if (funs.length === 0)
    throw new BadRequestError(`client '${client}' is not served; use one of ${SALT_CLIENTS.join(', ')}`);
  if (!funs.includes(chunk.fun ?? ''))
    throw new BadRequestError(`${client} function '${chunk.fun ?? ''}' is not served; use one of ${funs.join(', ')}`);
  const kwargs: Record<string, unknown> = { ...chunk.kwarg };
  for (const [k, v] of Object.entries(chunk)) if (!LOWSTATE_KEYS.has(k) && !Object.hasOwn(kwargs, k)) kwargs[k] = v;
  return { client: client as 'runner' | 'wheel', fun: chunk.fun!, kwargs };
}

/**
 * Checks a command against the principal before anything runs: jobs by the target x function ACL
 * (as `POST /api/v1/jobs`), runner `jobs.*` by `@jobs` (or a function grant, for own jobs),
 * `manage.*` by `@minions`, wheel `key.*` by `@keys` (or Salt's `@runner`/`@wheel` forms).
 */
export function authorizeCommand(s: ApiServices, p: Principal, cmd: SaltCommand): void {
  if (!('request' in cmd)) {
    const ownJobs = cmd.client === 'runner' && cmd.fun.startsWith('jobs.') && p.grants.runsFunctions;
    if (!p.grants.special(cmd.client, cmd.fun) && !ownJobs)
      throw new ForbiddenError(`not allowed to run ${cmd.client} ${cmd.fun}`);
    return;
  }
  if (!permits(p, Permission.run)) throw new ForbiddenError('this token may not run functions');
  if (!p.grants.admin) checkJob(s, p, cmd.request);
}
