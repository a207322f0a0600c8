import { jobRequestSchema, type JobRequest } from '@brine/protocol';
import { z } from 'zod';
import { Permission, permits, type Principal } from '../auth/auth.js';
import { BadRequestError, ForbiddenError } from '../shared/errors.js';
import { checkJob, type JobAccessServices } from '../auth/job-access.js';
import { RUNNERS } from './salt-runners.js';
import { WHEELS } from './salt-wheel.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * Drops the keys of a chunk whose value is null: Salt's NetapiClient passes them on as Python
 * `None`, which every client function takes as "not given", and a widely used client sends every
 * option on every call, unset ones as null (`"batch": null, "timeout": null, ...`).
 */
const withoutNulls = (v: unknown) =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null))
    : v;

/** One salt-api lowstate chunk; unknown keys are a runner's keyword arguments (Salt's rule). */
export const lowstateSchema = z.preprocess(
  withoutNulls,
  z
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
    .loose(),
);

/** A lowstate chunk as received. */
export type Lowstate = z.infer<typeof lowstateSchema>;

/** A request body of lowstate: a list, or (from a form) one chunk. */
export const lowstateBody = z.union([z.array(lowstateSchema).min(1).max(50), lowstateSchema]);

/** The salt-api clients Brine serves; `ssh` and `local_subset` are not. */
export const SALT_CLIENTS = [
  'local',
  'local_async',
  'local_batch',
  'runner',
  'runner_async',
  'wheel',
  'wheel_async',
] as const;

/** A lowstate chunk, checked and typed. */
export type SaltCommand =
  | { client: 'local' | 'local_async' | 'local_batch'; request: JobRequest; fullReturn: boolean }
  | {
      client: 'runner' | 'wheel';
      fun: string;
      args: readonly unknown[];
      kwargs: Record<string, unknown>;
      /** `runner_async` / `wheel_async`: answer `{tag, jid}` at once, the result comes as an event. */
      async?: boolean;
    };

/**
 * Lowstate keys that are not a runner's or wheel's keyword arguments: what salt-api and
 * NetapiClient consume themselves (credentials, `timeout`, `full_return`, `print_event`...).
 * `tgt` and `tgt_type` are keyword arguments there (`manage.up`, `cache.grains`); keys the
 * function does not take are dropped when its arguments are bound (salt-call-args.ts).
 */
const CLIENT_KEYS = new Set([
  'client',
  'fun',
  'arg',
  'kwarg',
  'timeout',
  'full_return',
  'print_event',
  'username',
  'password',
  'eauth',
  'token',
]);
const truthy = (v: unknown) => v === true || v === 'true' || v === 'True' || v === '1';
/** `arg` as a list: rest_cherrypy makes a lone value (a form's single `arg=`) a list of one. */
const argList = (arg: unknown): unknown[] => (arg === undefined ? [] : Array.isArray(arg) ? arg : [arg]);

function jobRequest(chunk: Lowstate, batch: boolean): JobRequest {
  const rawBatch = chunk.batch ?? (batch ? '50%' : undefined);
  const parsed = jobRequestSchema.safeParse({
    target: chunk.tgt,
    targetType: chunk.tgt_type ?? chunk.expr_form ?? 'glob',
    fun: chunk.fun,
    args: argList(chunk.arg),
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
  const kind = client.replace(/_async$/, '');
  const funs = kind === 'runner' ? RUNNERS : kind === 'wheel' ? WHEELS : undefined;
  if (funs === undefined)
    throw new BadRequestError(`client '${client}' is not served; use one of ${SALT_CLIENTS.join(', ')}`);
  if (!Object.hasOwn(funs, chunk.fun ?? ''))
    throw new BadRequestError(
      `${kind} function '${chunk.fun ?? ''}' is not served; use one of ${Object.keys(funs).join(', ')}`,
    );
  const kwargs: Record<string, unknown> = { ...chunk.kwarg };
  for (const [k, v] of Object.entries(chunk)) if (!CLIENT_KEYS.has(k) && !Object.hasOwn(kwargs, k)) kwargs[k] = v;
  return {
    client: kind as 'runner' | 'wheel',
    fun: chunk.fun!,
    args: argList(chunk.arg),
    kwargs,
    async: kind !== client,
  };
}

/**
 * Checks a command against the principal before anything runs: jobs by the target x function ACL
 * (as `POST /api/v1/jobs`); runner and wheel functions by their own rule (see salt-runners.ts and
 * salt-wheel.ts: `jobs.*` by `@jobs` or a function grant for own jobs, `manage.*` and `cache.*` by
 * `@minions`, `key.*` by `@keys`, or Salt's `@runner`/`@wheel` forms).
 */
export function authorizeCommand(s: JobAccessServices, p: Principal, cmd: SaltCommand): void {
  if (!('request' in cmd)) {
    const fn = (cmd.client === 'runner' ? RUNNERS : WHEELS)[cmd.fun]!;
    if (!p.grants.admin && !fn.allowed(p, cmd.fun))
      throw new ForbiddenError(`not allowed to run ${cmd.client} ${cmd.fun}`);
    return;
  }
  if (!permits(p, Permission.run)) throw new ForbiddenError('this token may not run functions');
  if (!p.grants.admin) checkJob(s, p, cmd.request);
}
