import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Permission, principalOf, principalOfToken, SESSION_COOKIE, type Principal } from '../auth/auth.js';
import { UnauthenticatedError } from '../shared/errors.js';
import { login, type LoginServices } from '../auth/routes-auth.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { Lowstate } from './salt-lowstate.js';

/** The eauth backends salt-api clients may name; all check the users of the master config. */
export const EAUTH_BACKENDS: readonly string[] = ['pam', 'auto', 'brine'];

/** `/run` and `POST /keys` credentials: a token, or username, password and a served eauth, in the chunk itself. */
export async function inlinePrincipal(s: LoginServices, chunk: Lowstate, address: string): Promise<Principal> {
  if (chunk.token !== undefined) {
    const p = principalOfToken(s, chunk.token);
    if (!p) throw new UnauthenticatedError();
    return p;
  }
  if (chunk.username === undefined || chunk.password === undefined || !EAUTH_BACKENDS.includes(chunk.eauth ?? ''))
    throw new UnauthenticatedError('username, password and eauth (pam, auto or brine), or token, are required');
  // The same per-address and per-user limits as /login: inline credentials are password guesses too.
  const { username, password } = chunk;
  const account = await s.loginLimiter.attempt(address, username, () => s.accounts.login(username, password));
  const p = account && principalOf(s, account.name);
  if (!p) throw new UnauthenticatedError('invalid username or password');
  return p;
}

/**
 * Credentials as salt-api reads them: an object, or the first chunk of a lowstate list
 * (rest_cherrypy's Login takes `lowstate[0]`); null values count as absent.
 */
const loginBody = z.preprocess(
  (v) => {
    const first: unknown = Array.isArray(v) ? v[0] : v;
    return first !== null && typeof first === 'object'
      ? Object.fromEntries(Object.entries(first).filter(([, x]) => x !== null))
      : first;
  },
  // Missing credentials are a failed login (401, as Salt's mk_token), not a malformed request.
  z.object({
    username: z.string().max(256).optional(),
    password: z.string().max(1024).optional(),
    eauth: z.string().max(32).optional(),
  }),
);

/**
 * salt-api's `session_id` cookie for a token: HttpOnly (no script reads it), SameSite=Strict (no
 * other site's page sends it, so a cross-site form cannot ride on it), Secure under TLS, and gone
 * when the token expires.
 */
export function sessionCookie(token: string, ttlS: number, secure: boolean): string {
  const attrs = `Path=/; Max-Age=${Math.max(0, Math.floor(ttlS))}; HttpOnly; SameSite=Strict`;
  return `${SESSION_COOKIE}=${token}; ${attrs}${secure ? '; Secure' : ''}`;
}

function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, ttlS: number): void {
  reply.header('set-cookie', sessionCookie(token, ttlS, req.protocol === 'https'));
}

/** Checks the eauth name and logs in; 401 for an eauth Brine does not serve. */
async function saltLogin(s: LoginServices, body: z.output<typeof loginBody>, address: string) {
  const eauth = body.eauth ?? '';
  if (!EAUTH_BACKENDS.includes(eauth))
    throw new UnauthenticatedError(`eauth '${eauth}' is not served; use pam, auto or brine`);
  if (!body.username || body.password === undefined) throw new UnauthenticatedError('invalid username or password');
  return { eauth, ...(await login(s, body.username, body.password, address)) };
}

/** salt-api's `/login` (GET and POST), `POST /logout` and `POST /token`. */
export function saltAuthRoutes(s: LoginServices): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/login',
      permission: Permission.public,
      tag: 'salt-api',
      summary: 'salt-api login prompt: {"status": 200, "return": "Please log in"} with WWW-Authenticate: Session',
      handler: async ({ reply }) => {
        reply.header('www-authenticate', 'Session');
        return { status: 200, return: 'Please log in' };
      },
    }),
    route({
      method: 'POST',
      url: '/login',
      permission: Permission.public,
      tag: 'salt-api',
      summary:
        'salt-api login (eauth pam, auto or brine: the master config users); the token also comes back in X-Auth-Token and the session_id cookie',
      body: loginBody,
      handler: async ({ req, reply, body }) => {
        const { token, info, principal, eauth } = await saltLogin(s, body, req.ip);
        req.audit.user = info.user;
        req.audit.tokenId = info.id;
        reply.header('x-auth-token', token);
        setSessionCookie(req, reply, token, (info.expiresAt - info.createdAt) / 1000);
        return {
          return: [
            {
              token,
              start: info.createdAt / 1000,
              expire: info.expiresAt / 1000,
              user: info.user,
              eauth,
              perms: principal.grants.perms,
            },
          ],
        };
      },
    }),
    route({
      method: 'POST',
      url: '/token',
      permission: Permission.public,
      tag: 'salt-api',
      summary: 'salt-api token: [{token, start, expire, name, eauth}] for /run, /events?salt_token= and /ws/<token>',
      body: loginBody,
      handler: async ({ req, body }) => {
        const { token, info, eauth } = await saltLogin(s, body, req.ip);
        req.audit.user = info.user;
        req.audit.tokenId = info.id;
        // rest_cherrypy answers the auth runner's list as is, without a `return` wrapper.
        return [{ token, start: info.createdAt / 1000, expire: info.expiresAt / 1000, name: info.user, eauth }];
      },
    }),
    route({
      method: 'POST',
      url: '/logout',
      permission: Permission.token,
      tag: 'salt-api',
      summary: 'salt-api logout: revokes the token this request carries and expires the session_id cookie',
      handler: async ({ req, reply, principal }) => {
        if (principal.tokenId !== undefined) s.tokens.revoke(principal.tokenId);
        setSessionCookie(req, reply, '', 0);
        return { return: 'Your token has been cleared' };
      },
    }),
  ];
}
