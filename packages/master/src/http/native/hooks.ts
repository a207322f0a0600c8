import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { JobRequest } from '@brine/protocol';
import { z } from 'zod';
import type { HookConfig } from '../../config-auth.js';
import { Permission } from '../auth/auth.js';
import { ADMIN_GRANTS } from '../auth/acl.js';
import { TooManyRequestsError, UnauthenticatedError } from '../shared/errors.js';
import { HookReplayGuard, type HookReplayOptions } from './hook-replay.js';
import { startJob, type JobAccessServices } from '../auth/job-access.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { MasterServices } from '../shared/services.js';

/** What the hook routes read. */
export type HookServices = JobAccessServices & Pick<MasterServices, 'bus' | 'now'> & { hooks: HookTable };

/** A configured webhook: the HMAC key, and the job to run when a signed request arrives. */
export interface Hook {
  secret: Buffer;
  job?: JobRequest;
  /** Accepts a signature of the body alone (no timestamp); see `untimed` in the config. */
  untimed?: boolean;
}

/** The configured webhooks by name, and the memory of signatures that refuses replays. */
export type HookTable = ReadonlyMap<string, Hook> & { readonly replay: HookReplayGuard };

/** Makes the hook table from the `hooks:` section of a validated config. */
export function hookTable(
  config: Readonly<Record<string, HookConfig>>,
  replay: Partial<HookReplayOptions> = {},
): HookTable {
  const hooks = new Map(
    Object.entries(config).map(([name, h]): [string, Hook] => [
      name,
      {
        secret: Buffer.from(h.secret, 'utf8'),
        ...(h.job === undefined ? {} : { job: h.job }),
        ...(h.untimed ? { untimed: true } : {}),
      },
    ]),
  );
  return Object.assign(hooks, { replay: new HookReplayGuard(replay) });
}

/** The signature headers, ours first; GitHub's `X-Hub-Signature-256` has the same form. */
const SIGNATURE_HEADERS = ['x-brine-signature', 'x-hub-signature-256'] as const;

/** The header with the time of signing, in Unix seconds; it is signed with the body. */
export const TIMESTAMP_HEADER = 'x-brine-timestamp';

/**
 * What a sender signs: `<X-Brine-Timestamp>.<raw body>` (the timestamp in decimal Unix seconds,
 * a dot, the body's bytes), as Stripe and Slack bind time into their webhook signatures.
 */
export function signedHookPayload(timestamp: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]);
}

/**
 * Whether a request carries `sha256=<hex>`, the HMAC-SHA256 of `signed` under the secret (the
 * {@link signedHookPayload}, or the raw body alone for an `untimed` hook). The digests are
 * compared in constant time; a malformed header never verifies.
 */
export function verifySignature(secret: Buffer, signed: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(signed).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'));
}

/** One answer for every signature failure, so that it tells nothing about the hook named. */
const BAD_SIGNATURE = `the hook signature does not verify (sign "<${TIMESTAMP_HEADER}>.<body>")`;

/**
 * Checks a hook request's signature, timestamp and novelty; throws 401 for any failure (an
 * unknown hook answers like a bad signature: hook names are not for probing) and 429 when the
 * replay memory is full. Returns the hook.
 */
function verifyHookRequest(s: Pick<HookServices, 'hooks' | 'now'>, name: string, req: FastifyRequest): Hook {
  const hook = s.hooks.get(name);
  const header = req.headers[SIGNATURE_HEADERS[0]] ?? req.headers[SIGNATURE_HEADERS[1]];
  const body = req.rawBody ?? Buffer.alloc(0);
  const stamp = req.headers[TIMESTAMP_HEADER];
  let signed: Buffer;
  let at: number;
  if (typeof stamp === 'string' && /^\d{1,12}$/.test(stamp)) {
    at = Number(stamp) * 1000;
    if (!s.hooks.replay.fresh(at)) throw new UnauthenticatedError(`${TIMESTAMP_HEADER} is outside the allowed window`);
    signed = signedHookPayload(stamp, body);
  } else if (hook?.untimed && stamp === undefined) {
    [at, signed] = [s.now(), body];
  } else throw new UnauthenticatedError(BAD_SIGNATURE);
  if (!hook || !verifySignature(hook.secret, signed, header)) throw new UnauthenticatedError(BAD_SIGNATURE);
  const verdict = s.hooks.replay.admit(name, String(header).trim(), at);
  if (verdict === 'replayed') throw new UnauthenticatedError('this signed request was received before');
  if (verdict === 'stale') throw new UnauthenticatedError(`${TIMESTAMP_HEADER} is outside the allowed window`);
  if (verdict === 'full') throw new TooManyRequestsError('too many webhook requests; retry later', 60);
  return hook;
}

/** Request headers that carry credentials: never copied into an event. */
const SECRET_HEADERS = new Set([
  'authorization',
  'x-auth-token',
  'cookie',
  'proxy-authorization',
  ...SIGNATURE_HEADERS,
]);

/** The event data of a hook request, as salt-api's: headers (without credentials), parsed body, raw body. */
export function hookEventData(req: FastifyRequest): { headers: Record<string, string>; post: unknown; body: string } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!SECRET_HEADERS.has(k) && typeof v === 'string') headers[k] = v;
  const post = Buffer.isBuffer(req.body) || req.body === undefined ? {} : req.body;
  return { headers, post, body: req.rawBody?.toString('utf8') ?? '' };
}

const nameParams = z.object({ name: z.string().max(64) });

/** `POST /hooks/:name`: a signed webhook fires `brine/hook/<name>` and runs its configured job. */
export function hookRoutes(s: HookServices): RouteSpec[] {
  return [
    route({
      method: 'POST',
      url: '/hooks/:name',
      permission: Permission.hook,
      tag: 'hooks',
      summary:
        'Signed webhook (X-Brine-Timestamp: <unix s>, X-Brine-Signature: sha256=<HMAC of "<timestamp>.<body>">): fires brine/hook/<name>, runs its job',
      params: nameParams,
      handler: async ({ req, params }) => {
        const hook = verifyHookRequest(s, params.name, req);
        s.metrics.hooksReceived++;
        req.audit.user = `hook:${params.name}`;
        req.audit.detail = params.name;
        const tag = `brine/hook/${params.name}`;
        s.bus.publish(tag, hookEventData(req));
        if (!hook.job) return { success: true, tag };
        // The job is the admin's, from the config: the ACL of no API user applies.
        const job = startJob(s, { user: `hook:${params.name}`, grants: ADMIN_GRANTS }, hook.job, req);
        return { success: true, tag, jid: job.jid, minions: job.minions };
      },
    }),
  ];
}
