import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { JobRequest } from '@brine/protocol';
import { z } from 'zod';
import type { HookConfig } from '../config-auth.js';
import { Permission } from './auth.js';
import { ADMIN_GRANTS } from './acl.js';
import { UnauthenticatedError } from './errors.js';
import { startJob } from './job-access.js';
import { route, type ApiServices, type RouteSpec } from './route.js';

/** A configured webhook: the HMAC key, and the job to run when a signed request arrives. */
export interface Hook {
  secret: Buffer;
  job?: JobRequest;
}

/** The configured webhooks by name. */
export type HookTable = ReadonlyMap<string, Hook>;

/** Makes the hook table from the `hooks:` section of a validated config. */
export function hookTable(config: Readonly<Record<string, HookConfig>>): HookTable {
  return new Map(
    Object.entries(config).map(([name, h]) => [
      name,
      { secret: Buffer.from(h.secret, 'utf8'), ...(h.job === undefined ? {} : { job: h.job }) },
    ]),
  );
}

/** The signature headers, ours first; GitHub's `X-Hub-Signature-256` has the same form. */
const SIGNATURE_HEADERS = ['x-brine-signature', 'x-hub-signature-256'] as const;

/**
 * Whether a request carries `sha256=<hex>`, the HMAC-SHA256 of its raw body under the secret.
 * The digests are compared in constant time; a malformed header never verifies.
 */
export function verifySignature(secret: Buffer, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'));
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
export function hookRoutes(s: ApiServices): RouteSpec[] {
  return [
    route({
      method: 'POST',
      url: '/hooks/:name',
      permission: Permission.hook,
      tag: 'hooks',
      summary: 'Signed webhook (X-Brine-Signature: sha256=<HMAC of the body>): fires brine/hook/<name>, runs its job',
      params: nameParams,
      handler: async ({ req, params }) => {
        const hook = s.hooks.get(params.name);
        const header = req.headers[SIGNATURE_HEADERS[0]] ?? req.headers[SIGNATURE_HEADERS[1]];
        // An unknown hook answers like a bad signature: hook names are not for probing.
        if (!hook || !verifySignature(hook.secret, req.rawBody ?? Buffer.alloc(0), header))
          throw new UnauthenticatedError('the hook signature does not verify');
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
