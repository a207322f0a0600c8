import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiErrorCode } from '@brine/protocol';
import type { EventBus } from '../core/event-bus.js';
import type { JobManager } from '../core/job-manager.js';
import type { JobStore } from '../core/job-store.js';
import type { MinionRegistry } from '../core/registry.js';
import type { KeyStore } from '../keys/key-store.js';
import { Permission, tokenFromHeaders, type PermissionValue, type Principal, type TokenStore } from './auth.js';
import type { Metrics } from './metrics.js';

/** What the API serves; built by main.ts. */
export interface ApiServices {
  manager: JobManager;
  registry: MinionRegistry;
  store: JobStore;
  keys: KeyStore;
  bus: EventBus;
  tokens: TokenStore;
  metrics: Metrics;
  log: Logger;
  now(): number;
}

/** One registered route, as the auth-matrix test enumerates them. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  permission: PermissionValue;
  handler(req: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared permission. */
    brineRoutes: RouteSpec[];
  }
}

/** An error answered as `{code, message}` with an HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/**
 * Builds the REST API. Every route declares a permission; all but `public` ones need a valid
 * token, checked before the handler runs. Errors are `{code, message}` JSON.
 */
export function buildApi(services: ApiServices, routes: ((s: ApiServices) => RouteSpec[])[]): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  app.decorate('brineRoutes', [] as RouteSpec[]);
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof HttpError)
      return reply
        .status(err.status)
        .send({ code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) });
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) services.log.error({ err: err.message }, 'request failed');
    return reply.status(status).send({
      code: status === 500 ? ApiErrorCode.internal : ApiErrorCode.badRequest,
      message: status === 500 ? 'internal error' : err.message,
    });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.status(404).send({ code: ApiErrorCode.notFound, message: 'no such route' }),
  );
  for (const make of routes) {
    for (const spec of make(services)) {
      app.brineRoutes.push(spec);
      app.route({
        method: spec.method,
        url: spec.url,
        handler: async (req, reply) => {
          const principal = authenticate(req, spec.permission, services);
          const out = await spec.handler(req, reply, principal);
          services.log.info(
            { audit: true, user: principal.user, method: spec.method, route: spec.url, status: reply.statusCode },
            'api request',
          );
          return out;
        },
      });
    }
  }
  return app;
}

function authenticate(req: FastifyRequest, permission: PermissionValue, services: ApiServices): Principal {
  if (permission === Permission.public) return { user: 'anonymous', can: () => false };
  const user = services.tokens.verify(tokenFromHeaders(req.headers) ?? tokenFromQuery(req));
  if (!user) throw new HttpError(401, ApiErrorCode.unauthenticated, 'a valid token is required');
  // Accounts and ACLs (issue 7) narrow this; the local admin credential may do everything.
  const principal: Principal = { user, can: () => true };
  if (!principal.can(permission)) throw new HttpError(403, ApiErrorCode.forbidden, `missing permission ${permission}`);
  return principal;
}

function tokenFromQuery(req: FastifyRequest): string | undefined {
  // EventSource cannot set headers; salt-api accepts the token as a query parameter on /events.
  const q = req.query as Record<string, unknown> | undefined;
  return typeof q?.['token'] === 'string' ? q['token'] : undefined;
}
