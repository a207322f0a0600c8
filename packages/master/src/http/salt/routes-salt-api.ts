import { z } from 'zod';
import { Permission, type Principal } from '../auth/auth.js';
import { hookEventData, type HookTable } from '../native/hooks.js';
import { route, type RouteSpec } from '../shared/route.js';
import { createJidGenerator } from '@brine/protocol';
import { runCommand, type SaltRouteServices, type WheelJids } from './salt-clients.js';
import { authorizeCommand, lowstateBody, parseLowstate, SALT_CLIENTS, type Lowstate } from './salt-lowstate.js';
import { inlinePrincipal, saltAuthRoutes } from './routes-salt-auth.js';
import { saltRoutesRead } from './routes-salt-read.js';
import { saltRoutesMore } from './routes-salt-more.js';

const chunks = (body: z.infer<typeof lowstateBody>): Lowstate[] => (Array.isArray(body) ? body : [body]);

/** Authorizes every chunk first, so a refused chunk leaves the earlier ones unrun; then runs them in order. */
async function execute(
  s: SaltRouteServices,
  list: readonly { p: Principal; chunk: Lowstate }[],
  req: Parameters<typeof runCommand>[3],
  wheelJid: WheelJids,
): Promise<unknown[]> {
  const cmds = list.map(({ p, chunk }) => ({ p, cmd: parseLowstate(chunk) }));
  for (const { p, cmd } of cmds) authorizeCommand(s, p, cmd);
  const out: unknown[] = [];
  for (const { p, cmd } of cmds) out.push(...(await runCommand(s, p, cmd, req, wheelJid)));
  return out;
}

/** salt-api (rest_cherrypy) compatibility at the root: lowstate, login, and the convenience URLs. */
export function saltApiRoutes(s: SaltRouteServices & { hooks: HookTable }): RouteSpec[] {
  const wheelJid = createJidGenerator();
  return [
    route({
      method: 'GET',
      url: '/',
      permission: Permission.public,
      tag: 'salt-api',
      summary: 'salt-api index: {"return": "Welcome", "clients": [...]}',
      handler: async () => ({ return: 'Welcome', clients: SALT_CLIENTS }),
    }),
    route({
      method: 'POST',
      url: '/',
      permission: Permission.token,
      tag: 'salt-api',
      summary: 'Run a lowstate list (clients local, local_async, local_batch, runner, wheel) with X-Auth-Token',
      body: lowstateBody,
      handler: async ({ req, principal, body }) => ({
        return: await execute(
          s,
          chunks(body).map((chunk) => ({ p: principal, chunk })),
          req,
          wheelJid,
        ),
      }),
    }),
    route({
      method: 'POST',
      url: '/run',
      permission: Permission.public,
      tag: 'salt-api',
      summary: 'Run a lowstate list whose chunks carry username/password/eauth or token (no session)',
      body: lowstateBody,
      handler: async ({ req, body }) => {
        const list: { p: Principal; chunk: Lowstate }[] = [];
        for (const chunk of chunks(body)) list.push({ p: await inlinePrincipal(s, chunk, req.ip), chunk });
        req.audit.user = list[0]!.p.user;
        if (list[0]!.p.tokenId !== undefined) req.audit.tokenId = list[0]!.p.tokenId;
        return { return: await execute(s, list, req, wheelJid) };
      },
    }),
    route({
      method: 'POST',
      url: '/minions',
      permission: Permission.run,
      tag: 'salt-api',
      summary: 'Start jobs asynchronously (client local_async): 202 with jids and minions',
      status: 202,
      body: lowstateBody,
      handler: async ({ req, principal, body }) => {
        const list = chunks(body).map((chunk) => ({ p: principal, chunk: { ...chunk, client: 'local_async' } }));
        const jobs = (await execute(s, list, req, wheelJid)) as { jid?: string }[];
        // A target that matched nothing gives {} (Salt's LocalClient), and no link.
        const links = jobs.flatMap((j) => (j.jid === undefined ? [] : [{ href: `/jobs/${j.jid}` }]));
        return { return: jobs, _links: { jobs: links } };
      },
    }),
    route({
      method: 'POST',
      url: '/hook/*',
      permission: Permission.hooks,
      tag: 'salt-api',
      summary: 'Fire brine/hook/<path> with the request headers (credentials removed) and body',
      params: z.object({
        '*': z
          .string()
          .max(200)
          .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'path segments of letters, digits, _ . -'),
      }),
      handler: async ({ req, params }) => {
        req.audit.detail = params['*'];
        s.bus.publish(`brine/hook/${params['*']}`, hookEventData(req));
        return { success: true };
      },
    }),
    route({
      method: 'POST',
      url: '/hook',
      permission: Permission.hooks,
      tag: 'salt-api',
      summary: 'Fire brine/hook (salt/netapi/hook on the dialect streams) with the request headers and body',
      handler: async ({ req }) => {
        s.bus.publish('brine/hook', hookEventData(req));
        return { success: true };
      },
    }),
    ...saltAuthRoutes(s),
    ...saltRoutesRead(s, wheelJid),
    ...saltRoutesMore(s, wheelJid),
  ];
}
