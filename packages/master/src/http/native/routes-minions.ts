import { TargetType, fingerprint, globMatch, type TargetTypeValue } from '@brine/protocol';
import { z } from 'zod';
import { KeyState, type KeyEntry, type KeyStateValue } from '../../keys/key-store.js';
import { Permission } from '../auth/auth.js';
import { HttpError, NotFoundError } from '../shared/errors.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { MasterServices } from '../shared/services.js';

/** A minion id or id glob in a path: what `validateMinionId` accepts, plus glob characters. */
const idParams = z.object({
  id: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\\\0]+$/, 'no slashes or NUL'),
});
const keyStates = Object.values(KeyState) as [KeyStateValue, ...KeyStateValue[]];
const targetTypes = Object.values(TargetType) as [TargetTypeValue, ...TargetTypeValue[]];
const listQuery = z.object({
  connected: z.enum(['true', 'false']).optional(),
  /** A target expression: only the minions it selects (what a job would target). */
  target: z.string().min(1).max(1024).optional(),
  targetType: z.enum(targetTypes).optional(),
  /** Comma-separated grain names to include per minion (the console's facets), at most 16. */
  grains: z
    .string()
    .max(512)
    .regex(/^[A-Za-z0-9_:.-]*(?:,[A-Za-z0-9_:.-]+){0,15}$/, 'at most 16 comma-separated grain names')
    .optional(),
});

/** The named grains of a minion: own properties only, into an object with no prototype to pollute. */
function pickGrains(grains: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const n of names) if (Object.hasOwn(grains, n)) out[n] = grains[n];
  return out;
}

/** One key by exact id, without fingerprinting every key of the store. */
export function keyEntry(s: Pick<MasterServices, 'keys' | 'registry'>, id: string): KeyEntry | undefined {
  const state = s.keys.state(id);
  const pub = s.keys.publicKey(id);
  return state && pub ? { id, state, fingerprint: fingerprint(pub) } : undefined;
}

/** `/api/v1/minions` and `/api/v1/keys`: the registry and the key store. */
export function minionRoutes(
  s: Pick<MasterServices, 'enrollment' | 'keys' | 'log' | 'manager' | 'now' | 'registry'>,
): RouteSpec[] {
  const keyAction = (action: 'accept' | 'reject' | 'delete') =>
    route({
      method: action === 'delete' ? 'DELETE' : 'POST',
      url: action === 'delete' ? '/api/v1/keys/:id' : `/api/v1/keys/:id/${action}`,
      permission: Permission.keys,
      tag: 'keys',
      summary: `${action[0]!.toUpperCase()}${action.slice(1)} the keys whose id matches a glob`,
      params: idParams,
      ...(action === 'accept' ? { body: z.object({ includeRejected: z.boolean().optional() }).optional() } : {}),
      handler: async ({ req, params: { id }, body }) => {
        req.audit.detail = `${action} ${id}`.slice(0, 200);
        const include = (body as { includeRejected?: boolean } | undefined)?.includeRejected === true;
        const ids =
          action === 'accept'
            ? s.keys.accept(id, include)
            : action === 'reject'
              ? s.keys.reject(id)
              : s.keys.delete(id);
        return { [action === 'accept' ? 'accepted' : action === 'reject' ? 'rejected' : 'deleted']: ids };
      },
    });
  return [
    route({
      method: 'GET',
      url: '/api/v1/minions',
      permission: Permission.minions,
      tag: 'minions',
      summary:
        'Accepted minions, connected or not (?connected=true|false; ?target=&targetType= to match; ?grains=os,role for those grains)',
      query: listQuery,
      handler: async ({ query }) => {
        const names = (query.grains ?? '').split(',').filter(Boolean);
        let selected: Set<string> | undefined;
        if (query.target !== undefined) {
          const preview = s.manager.preview(query.target, query.targetType ?? 'glob');
          if (!preview.ok) throw new HttpError(400, preview.error.code, preview.error.message);
          selected = new Set(preview.minions);
        }
        let minions = s.registry
          .list()
          .filter((m) => selected === undefined || selected.has(m.id))
          .map(({ id, connected, lastSeen, address, grains }) => ({
            id,
            connected,
            lastSeen,
            ...(address ? { address } : {}),
            ...(names.length ? { grains: pickGrains(grains, names) } : {}),
          }));
        if (query.connected !== undefined)
          minions = minions.filter((m) => m.connected === (query.connected === 'true'));
        return { minions };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/minions/:id',
      permission: Permission.minions,
      tag: 'minions',
      summary: 'One minion with its grains',
      params: idParams,
      handler: async ({ params: { id } }) => {
        const m = s.registry.get(id);
        if (!m) throw new NotFoundError(`no minion ${id}`);
        return { minion: m };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/minions/:id/pillar',
      permission: Permission.minions,
      tag: 'minions',
      summary:
        "The top-level keys of a minion's compiled pillar ({keys, compiled}); values never leave through the API (the minion alone receives them)",
      params: idParams,
      // `keys=true` is what the console sends; keys are all this route ever answers.
      query: z.object({ keys: z.enum(['true']).optional() }),
      handler: async ({ params: { id } }) => {
        if (!s.registry.get(id)) throw new NotFoundError(`no minion ${id}`);
        const keys = s.registry.pillarKeys(id);
        return { keys: keys ?? [], compiled: keys !== undefined };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/keys',
      permission: Permission.keys,
      tag: 'keys',
      summary:
        'Minion keys with their states and fingerprints (?state=, ?match=glob), and what the pending-key limits refused',
      query: z.object({ state: z.enum(keyStates).optional(), match: z.string().max(255).optional() }),
      handler: async ({ query: q }) => ({
        keys: s.keys.list(q.state).filter((k) => q.match === undefined || globMatch(q.match, k.id)),
        pendingLimits: s.keys.pendingLimits(),
      }),
    }),
    route({
      method: 'GET',
      url: '/api/v1/keys/:id',
      permission: Permission.keys,
      tag: 'keys',
      summary: 'One minion key: its state and fingerprint (salt-key -f)',
      params: idParams,
      handler: async ({ params: { id } }) => {
        const key = keyEntry(s, id);
        if (!key) throw new NotFoundError(`no key ${id}`);
        return { key };
      },
    }),
    keyAction('accept'),
    keyAction('reject'),
    keyAction('delete'),
    route({
      method: 'POST',
      url: '/api/v1/keys/enroll-tokens',
      permission: Permission.keys,
      tag: 'keys',
      summary: 'Make a one-time enrollment token: a new minion that presents it is accepted on first contact',
      body: z.object({
        ttlSeconds: z
          .number()
          .int()
          .positive()
          .max(30 * 86_400)
          .default(3600),
        idGlob: z.string().min(1).max(255).optional(),
      }),
      handler: async ({ body, reply }) => {
        const expiresAt = s.now() + body.ttlSeconds * 1000;
        const token = s.enrollment.create(expiresAt, body.idGlob);
        s.log.info({ audit: true, expiresAt, idGlob: body.idGlob }, 'enrollment token created');
        reply.status(201);
        return { token, expiresAt, ...(body.idGlob ? { idGlob: body.idGlob } : {}) };
      },
    }),
  ];
}
