import { z } from 'zod';
import { Permission, principalOf, principalOfToken, type Principal } from './auth.js';
import { UnauthenticatedError } from './errors.js';
import { hookEventData } from './hooks.js';
import { route, type ApiServices, type RouteSpec } from './route.js';
import { runCommand } from './salt-clients.js';
import { authorizeCommand, lowstateBody, parseLowstate, SALT_CLIENTS, type Lowstate } from './salt-lowstate.js';
import { EAUTH_BACKENDS, saltAuthRoutes } from './routes-salt-auth.js';
import { saltRoutesRead } from './routes-salt-read.js';

const chunks = (body: z.infer<typeof lowstateBody>): Lowstate[] => (Array.isArray(body) ? body : [body]);

/** `/run` credentials: a token, or username, password and a served eauth, in the chunk itself. */
async function inlinePrincipal(s: ApiServices, chunk: Lowstate): Promise<Principal> {
  if (chunk.token !== undefined) {
    const p = principalOfToken(s, chunk.token);
    if (!p) throw new UnauthenticatedError();
    return p;
  }
  if (chunk.username === undefined || chunk.password === undefined || !EAUTH_BACKENDS.includes(chunk.eauth ?? ''))
    throw new UnauthenticatedError('username, password and eauth (pam, auto or brine), or token, are required');
  const account = await s.accounts.login(chunk.username, chunk.password);
  const p = account && principalOf(s, account.name);
  if (!p) throw new UnauthenticatedError('invalid username or password');
  return p;
}

/** Authorizes every chunk first, so a refused chunk leaves the earlier ones unrun; then runs them in order. */
async function execute(
  s: ApiServices,
  list: readonly { p: Principal; chunk: Lowstate }[],
  req: Parameters<typeof runCommand>[3],
): Promise<unknown[]> {
  const cmds = list.map(({ p, chunk }) => ({ p, cmd: parseLowstate(chunk) }));
  for (const { p, cmd } of cmds) authorizeCommand(s, p, cmd);
  const out: unknown[] = [];
  for (const { p, cmd } of cmds) out.push(...(await runCommand(s, p, cmd, req)));
  return out;
}

/** salt-api (rest_cherrypy) compatibility at the root: lowstate, login, and the convenience URLs. */
export function saltApiRoutes(s: ApiServices): RouteSpec[] {
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
        for (const chunk of chunks(body)) list.push({ p: await inlinePrincipal(s, chunk), chunk });
        req.audit.user = list[0]!.p.user;
        if (list[0]!.p.tokenId !== undefined) req.audit.tokenId = list[0]!.p.tokenId;
        return { return: await execute(s, list, req) };
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
        const jobs = (await execute(s, list, req)) as { jid: string }[];
        return { return: jobs, _links: { jobs: jobs.map((j) => ({ href: `/jobs/${j.jid}` })) } };
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
    ...saltAuthRoutes(s),
    ...saltRoutesRead(s),
  ];
}
