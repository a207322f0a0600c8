import { z } from 'zod';
import { Permission } from '../auth/auth.js';
import { NotFoundError } from '../shared/errors.js';
import { route, type RouteSpec } from '../shared/route.js';
import { keyEntry } from '../native/routes-minions.js';
import { runCommand, type SaltRouteServices, type WheelJids } from './salt-clients.js';
import { saltEvents$ } from './salt-events.js';
import { saltKeyFingers } from './salt-format.js';
import { openSse } from '../shared/sse.js';

const midParams = z.object({
  mid: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\\\0]+$/, 'no slashes or NUL'),
});
const jidParams = z.object({ jid: z.string().regex(/^\d{20}$/, 'a jid is 20 digits') });

/** salt-api's read-only convenience URLs: minions, jobs, keys and the event stream. */
export function saltRoutesRead(s: SaltRouteServices, wheelJid: WheelJids): RouteSpec[] {
  const runner = async (ctx: Parameters<RouteSpec['handler']>[0], fun: string, kwargs: Record<string, unknown> = {}) =>
    (await runCommand(s, ctx.principal, { client: 'runner', fun, args: [], kwargs }, ctx.req, wheelJid))[0];
  return [
    route({
      method: 'GET',
      url: '/minions',
      permission: Permission.minions,
      tag: 'salt-api',
      summary: "Every minion's grains (as cached at its last connect): {return: [{id: grains}]}",
      handler: async () => ({ return: [Object.fromEntries(s.registry.list().map((m) => [m.id, m.grains]))] }),
    }),
    route({
      method: 'GET',
      url: '/minions/:mid',
      permission: Permission.minions,
      tag: 'salt-api',
      summary: "One minion's grains: {return: [{id: grains}]}",
      params: midParams,
      handler: async ({ params: { mid } }) => {
        const m = s.registry.get(mid);
        if (!m) throw new NotFoundError(`no minion ${mid}`);
        return { return: [{ [m.id]: m.grains }] };
      },
    }),
    route({
      method: 'GET',
      url: '/jobs',
      permission: Permission.jobs,
      tag: 'salt-api',
      summary: 'The job cache as runner jobs.list_jobs shows it (without @jobs: only your own)',
      handler: async (ctx) => ({ return: [await runner(ctx, 'jobs.list_jobs')] }),
    }),
    route({
      method: 'GET',
      url: '/jobs/:jid',
      permission: Permission.jobs,
      tag: 'salt-api',
      summary: 'One job: {info: [jobs.list_job], return: [{minion: return}]}',
      params: jidParams,
      handler: async (ctx) => {
        const info = (await runner(ctx, 'jobs.list_job', { jid: ctx.params.jid })) as {
          Result: Record<string, { return: unknown }>;
        };
        return {
          info: [info],
          return: [Object.fromEntries(Object.entries(info.Result).map(([id, r]) => [id, r.return]))],
        };
      },
    }),
    route({
      method: 'GET',
      url: '/keys',
      permission: Permission.keys,
      tag: 'salt-api',
      summary: 'Minion ids by key state, as wheel key.list_all',
      handler: async (ctx) => {
        const cmd = { client: 'wheel', fun: 'key.list_all', args: [], kwargs: {} } as const;
        const [env] = await runCommand(s, ctx.principal, cmd, ctx.req, wheelJid);
        return { return: (env as { data: { return: unknown } }).data.return };
      },
    }),
    route({
      method: 'GET',
      url: '/keys/:mid',
      permission: Permission.keys,
      tag: 'salt-api',
      summary: "A minion key's fingerprint under its state, as wheel key.finger",
      params: midParams,
      handler: async ({ params: { mid } }) => {
        const key = keyEntry(s, mid);
        if (!key) throw new NotFoundError(`no key ${mid}`);
        return { return: saltKeyFingers([key]) };
      },
    }),
    route({
      method: 'GET',
      url: '/events',
      permission: Permission.events,
      tag: 'salt-api',
      summary:
        "The event bus with Salt's tags and data as salt-api SSE (tag: and data: lines); token by header, session_id cookie, ?token= or ?salt_token=",
      produces: 'text/event-stream',
      queryToken: true,
      query: z.object({ token: z.string().optional(), salt_token: z.string().optional() }),
      handler: async ({ reply, principal }) => {
        const sse = openSse(reply);
        const sub = saltEvents$(s, principal).subscribe({
          next: (e) => sse.send(JSON.stringify({ tag: e.tag, data: e.data }), undefined, { tag: e.tag }),
          complete: () => sse.end(),
        });
        sse.onClose(() => sub.unsubscribe());
        return reply;
      },
    }),
  ];
}
