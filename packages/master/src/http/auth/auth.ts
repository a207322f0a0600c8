import type { FastifyRequest } from 'fastify';
import { ADMIN_GRANTS, Area, NO_GRANTS, type Grants } from './acl.js';
import type { Accounts } from './accounts.js';
import type { Acl } from './acl.js';
import { ForbiddenError, UnauthenticatedError } from '../shared/errors.js';
import type { TokenStore } from './tokens.js';

/**
 * What a route requires. Every route declares one; the auth-matrix test checks each.
 * - `public`: nothing (health, the OpenAPI document, logins); the list is pinned in the test.
 * - `hook`: an HMAC signature of the body, checked by the hook handler.
 * - `token`: any valid token (log out, who am I); the handler checks what the request asks for.
 * - `run`: a token whose ACL grants some function; each job's target x function is checked.
 * - `jobs`: `@jobs` for every job, or a function grant for the caller's own jobs.
 * - `events`: any grant; the stream carries only what the grants may see.
 * - an area (`@keys`, `@minions`, ...): that area.
 */
export const Permission = {
  public: 'public',
  hook: 'hook',
  token: 'token',
  run: 'run',
  jobs: 'jobs',
  events: 'events',
  keys: Area.keys,
  minions: Area.minions,
  metrics: Area.metrics,
  tokens: Area.tokens,
  hooks: Area.hooks,
  audit: Area.audit,
} as const;
/** One of the {@link Permission} values. */
export type PermissionValue = (typeof Permission)[keyof typeof Permission];

/** Who a request is, once its credential checked out. */
export interface Principal {
  user: string;
  /** The id of the token used, for audit lines; absent for anonymous and inline-credential calls. */
  tokenId?: string;
  grants: Grants;
}

/** The principal of requests to `public` and `hook` routes. */
export const ANONYMOUS: Principal = { user: 'anonymous', grants: NO_GRANTS };

/** What authentication needs: the token store and who the users are. */
export interface AuthServices {
  tokens: TokenStore;
  accounts: Accounts;
  acl: Acl;
}

/** The user the local admin credential acts as. */
export const ADMIN_USER = 'root';

/** The principal of a user name, or undefined when the user is no longer configured or disabled. */
export function principalOf(s: AuthServices, user: string, tokenId?: string): Principal | undefined {
  const grants = user === ADMIN_USER ? ADMIN_GRANTS : undefined;
  const account = grants ? undefined : s.accounts.get(user);
  if (!grants && !account) return undefined;
  return {
    user,
    ...(tokenId === undefined ? {} : { tokenId }),
    grants: grants ?? s.acl.grantsFor(user, account!.groups),
  };
}

/** The principal a token stands for, or undefined when the token or its user is not valid. */
export function principalOfToken(s: AuthServices, token: string | undefined): Principal | undefined {
  const info = s.tokens.verify(token);
  if (!info) return undefined;
  // The admin token is the only one that may act as root; a stored token never does.
  if (info.user === ADMIN_USER && info.kind !== 'admin') return undefined;
  return principalOf(s, info.user, info.id);
}

/** Whether a principal meets a route's permission (the route's handler may check more). */
export function permits(p: Principal, permission: PermissionValue): boolean {
  const g = p.grants;
  if (g.admin) return true;
  switch (permission) {
    case Permission.public:
    case Permission.hook:
    case Permission.token:
      return true;
    case Permission.run:
      return g.runsFunctions;
    case Permission.jobs:
      return g.can(Area.jobs) || g.runsFunctions;
    case Permission.events:
      return g.can(Area.events) || g.can(Area.jobs) || g.can(Area.keys) || g.runsFunctions;
    default:
      return g.can(permission);
  }
}

/** Where a route may also read its token, beside the `Authorization` and `X-Auth-Token` headers. */
export interface TokenSources {
  /** `?token=` (and salt-api's `?salt_token=`), for EventSource, which cannot set headers. @default false */
  query?: boolean;
  /**
   * salt-api's `session_id` cookie, which a browser sends by itself: the origins (besides the
   * API's own) whose pages may use it to change something. Absent: the cookie is not read.
   */
  cookie?: readonly string[] | undefined;
  /** A token from the URL path (salt-api's `/ws/<token>`), tried after the headers. */
  path?: string | undefined;
}

/**
 * Authenticates a request for a permission: 401 without a valid token, 403 when the token's
 * grants do not meet it. A header wins over the query and the cookie (as in rest_cherrypy's
 * `salt_token_tool`). Other routes never read tokens from URLs, which end up in proxy logs and
 * shell history.
 */
export function authenticate(
  req: FastifyRequest,
  permission: PermissionValue,
  s: AuthServices,
  sources: TokenSources = {},
): Principal {
  if (permission === Permission.public || permission === Permission.hook) return ANONYMOUS;
  const token =
    tokenFromHeaders(req.headers) ??
    sources.path ??
    (sources.query ? tokenFromQuery(req) : undefined) ??
    (sources.cookie && cookieMayAct(req, sources.cookie) ? tokenFromCookie(req.headers.cookie) : undefined);
  const principal = principalOfToken(s, token);
  if (!principal) throw new UnauthenticatedError();
  if (!permits(principal, permission)) throw new ForbiddenError(`this token lacks the ${permission} permission`);
  return principal;
}

/**
 * Whether a request may act on the session cookie. SameSite=Strict keeps other sites from sending
 * it, but a page on a sibling host of the same site (another port, another subdomain) still
 * could, with a text/plain body that reads as JSON, or open `/ws` (WebSockets ignore CORS);
 * browsers name that page in `Origin`. So a POST or an upgrade with an `Origin` that is neither
 * the API's own nor a configured one does not get the cookie's identity (the headers still
 * work). Scripts (curl -b, requests) send no Origin.
 */
function cookieMayAct(req: FastifyRequest, origins: readonly string[]): boolean {
  const origin = req.headers.origin;
  // A plain GET's answer is unreadable cross-origin without CORS; a WebSocket is not, so it is checked.
  if ((req.method === 'GET' && req.headers.upgrade === undefined) || origin === undefined) return true;
  return origin === `${req.protocol}://${req.headers.host ?? ''}` || origins.includes(origin);
}

/** The name of salt-api's session cookie. */
export const SESSION_COOKIE = 'session_id';

/** The `session_id` value of a Cookie header, or undefined. */
export function tokenFromCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/** Reads a bearer token from `Authorization: Bearer …` or salt-api's `X-Auth-Token`. */
export function tokenFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers['authorization'];
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (m) return m[1];
  }
  const x = headers['x-auth-token'];
  // An empty header is no header (rest_cherrypy's `if x_auth:`): a browser UI sends it empty before login.
  return typeof x === 'string' && x !== '' ? x : undefined;
}

function tokenFromQuery(req: FastifyRequest): string | undefined {
  const q = req.query as Record<string, unknown> | undefined;
  const t = q?.['token'] ?? q?.['salt_token'];
  return typeof t === 'string' ? t : undefined;
}
