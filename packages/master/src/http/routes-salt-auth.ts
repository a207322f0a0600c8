import { z } from 'zod';
import { Permission } from './auth.js';
import { UnauthenticatedError } from './errors.js';
import { login } from './routes-auth.js';
import { route, type ApiServices, type RouteSpec } from './route.js';

/** The eauth backends salt-api clients may name; all check the users of the master config. */
export const EAUTH_BACKENDS: readonly string[] = ['pam', 'auto', 'brine'];

const loginBody = z.object({
  username: z.string().min(1).max(256),
  password: z.string().max(1024),
  eauth: z.string().max(32),
});

/** salt-api's `POST /login` and `POST /logout`. */
export function saltAuthRoutes(s: ApiServices): RouteSpec[] {
  return [
    route({
      method: 'POST',
      url: '/login',
      permission: Permission.public,
      tag: 'salt-api',
      summary:
        'salt-api login (eauth pam, auto or brine: the master config users); the token also comes back in X-Auth-Token',
      body: loginBody,
      handler: async ({ req, reply, body }) => {
        if (!EAUTH_BACKENDS.includes(body.eauth))
          throw new UnauthenticatedError(`eauth '${body.eauth}' is not served; use pam, auto or brine`);
        const { token, info, principal } = await login(s, body.username, body.password, req.ip);
        req.audit.user = info.user;
        req.audit.tokenId = info.id;
        reply.header('x-auth-token', token);
        return {
          return: [
            {
              token,
              start: info.createdAt / 1000,
              expire: info.expiresAt / 1000,
              user: info.user,
              eauth: body.eauth,
              perms: principal.grants.perms,
            },
          ],
        };
      },
    }),
    route({
      method: 'POST',
      url: '/logout',
      permission: Permission.token,
      tag: 'salt-api',
      summary: 'salt-api logout: revokes the token this request carries',
      handler: async ({ principal }) => {
        if (principal.tokenId !== undefined) s.tokens.revoke(principal.tokenId);
        return { return: 'Your token has been cleared' };
      },
    }),
  ];
}
