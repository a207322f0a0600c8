import { z } from 'zod';
import { ACCOUNT_NAME_PATTERN } from '../../config-auth.js';
import { ADMIN_USER, Permission, principalOf, type Principal } from './auth.js';
import { BadRequestError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../shared/errors.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { MasterServices } from '../shared/services.js';
import { TokenKind, type TokenInfo } from './tokens.js';

/** What a password login reads. */
export type LoginServices = Pick<MasterServices, 'accounts' | 'acl' | 'tokens' | 'loginLimiter' | 'sessionTtlMs'>;

const credentials = z.object({ username: z.string().min(1).max(256), password: z.string().max(1024) });
const loginBody = credentials.extend({ eauth: z.string().optional() });
const createBody = z.object({
  user: z.string().regex(ACCOUNT_NAME_PATTERN),
  ttlSeconds: z.number().int().positive(),
  description: z
    .string()
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters')
    .optional(),
});
const idParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a token id is 16 hex digits') });

/** A successful login: the token (shown once) and who it is for. */
export interface LoginResult {
  token: string;
  info: TokenInfo;
  principal: Principal;
}

/**
 * Checks a username and password against the configured users and makes a session token that
 * expires after `api.token_expire_s`. Throws 401 for a wrong, unknown or disabled user alike,
 * and 429 when the login limits (`from` is the client's address) refuse the attempt.
 */
export async function login(s: LoginServices, username: string, password: string, from: string): Promise<LoginResult> {
  const account = await s.loginLimiter.attempt(from, username, () => s.accounts.login(username, password));
  const principal = account && principalOf(s, account.name);
  if (!account || !principal) throw new UnauthenticatedError('invalid username or password');
  const { token, info } = s.tokens.issue({ user: account.name, kind: TokenKind.session, ttlMs: s.sessionTtlMs });
  return { token, info, principal: { ...principal, tokenId: info.id } };
}

/** `/api/v1/login`, `/logout`, `/whoami` and `/tokens`: sessions and long-lived CI tokens. */
export function authRoutes(s: LoginServices & Pick<MasterServices, 'maxTokenTtlMs' | 'sessionTtlMs'>): RouteSpec[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/login',
      permission: Permission.public,
      tag: 'auth',
      summary: 'Log in with a configured user: a token that expires after api.token_expire_s',
      body: loginBody,
      handler: async ({ req, body }) => {
        const { token, info, principal } = await login(s, body.username, body.password, req.ip);
        req.audit.user = info.user;
        req.audit.tokenId = info.id;
        return { token, id: info.id, user: info.user, expiresAt: info.expiresAt, perms: principal.grants.perms };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/logout',
      permission: Permission.token,
      tag: 'auth',
      summary: 'Revoke the token this request carries',
      handler: async ({ principal }) => {
        if (principal.tokenId !== undefined) s.tokens.revoke(principal.tokenId);
        return { revoked: principal.tokenId ?? null };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/whoami',
      permission: Permission.token,
      tag: 'auth',
      summary: "The token's user and the ACL entries that apply to it",
      handler: async ({ principal: p }) => ({
        user: p.user,
        tokenId: p.tokenId ?? null,
        admin: p.grants.admin,
        perms: p.grants.perms,
      }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/tokens',
      permission: Permission.tokens,
      tag: 'auth',
      summary:
        "Make a long-lived API token for yourself, or a user {'@tokens': [glob]} names (brine-token create); shown once",
      status: 201,
      body: createBody,
      handler: async ({ req, principal, body }) => {
        // A token carries its user's rights, so making one for another user is acting as that
        // user: only where the ACL delegates it ({'@tokens': [user glob]}), never by `@tokens` alone.
        if (!principal.grants.tokensOf(body.user))
          throw new ForbiddenError(`not allowed to make tokens for ${body.user}`);
        if (body.user === ADMIN_USER || !s.accounts.get(body.user))
          throw new BadRequestError(`no enabled user ${body.user} in the master config`);
        if (body.ttlSeconds * 1000 > s.maxTokenTtlMs)
          throw new BadRequestError(`ttlSeconds: at most ${s.maxTokenTtlMs / 1000} (api.max_token_ttl_s)`);
        const { token, info } = s.tokens.issue({
          user: body.user,
          kind: TokenKind.api,
          ttlMs: body.ttlSeconds * 1000,
          createdBy: principal.user,
          ...(body.description === undefined ? {} : { description: body.description }),
        });
        req.audit.detail = `token ${info.id} for ${info.user}`;
        return { token, ...info };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/tokens',
      permission: Permission.tokens,
      tag: 'auth',
      summary: 'Unexpired session and API tokens whose owners you manage (ids and owners, never the tokens)',
      handler: async ({ principal }) => ({ tokens: s.tokens.list().filter((t) => principal.grants.tokensOf(t.user)) }),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      permission: Permission.tokens,
      tag: 'auth',
      summary: 'Revoke a token you manage by id (brine-token revoke)',
      params: idParams,
      handler: async ({ req, principal, params: { id } }) => {
        req.audit.detail = `token ${id}`;
        // Someone else's token answers as an unknown one: ids are not secret, but a revoke is.
        const owner = s.tokens.list().find((t) => t.id === id)?.user;
        const info = owner !== undefined && principal.grants.tokensOf(owner) ? s.tokens.revoke(id) : undefined;
        if (!info) throw new NotFoundError(`no token ${id}`);
        return { id, revoked: true, user: info.user };
      },
    }),
  ];
}
