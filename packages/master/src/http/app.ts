import { isStoreOutage } from '../store/job-store-error.js';
import type { ServerOptions } from 'node:https';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ApiErrorCode, type JobSummary } from '@brine/protocol';
import { z } from 'zod';
import { installAudit } from './shared/audit.js';
import { ANONYMOUS, authenticate } from './auth/auth.js';
import { installBodyParsers, isSaltRoute } from './shared/body-parsers.js';
import { installCors } from './shared/cors.js';
import { BadRequestError, HttpError, TooManyRequestsError } from './shared/errors.js';
import { HSTS_HEADER } from './api-tls.js';
import type { RouteFactory, RouteSpec } from './shared/route.js';
import type { MasterServices } from './shared/services.js';
import { negotiateSalt, saltErrorBody, saltOutputType, serializeSalt } from './salt/salt-dialect.js';
import { installUpgrades } from './shared/upgrade.js';

export { HttpError } from './shared/errors.js';
export type { RouteSpec } from './shared/route.js';

/** What the server itself reads, beside what its route factories take. */
export type AppServices = Pick<
  MasterServices,
  'accounts' | 'acl' | 'tokens' | 'bus' | 'corsOrigins' | 'log' | 'metrics' | 'now'
>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its declared permission and schemas. */
    brineRoutes: RouteSpec[];
    /** Every `method url` fastify registered, whoever registered it: the auth matrix compares the two. */
    registeredRoutes: string[];
  }
}

/** Parses a body, query or params with a schema, answering 400 with the first issue's path. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new BadRequestError(`${[what, ...issue.path].join('.')}: ${issue.message}`);
  }
  return r.data;
}

/** How the API is served. */
export interface ApiServerOptions {
  /** Serve HTTPS with these options (and send `Strict-Transport-Security`); plain HTTP when absent. */
  https?: ServerOptions;
}

/**
 * Builds the REST API. Every route declares a permission; all but `public` and `hook` ones need
 * a valid token, checked before the body is even validated. Errors are `{code, message}` JSON,
 * and on salt-api routes `{status, return, code}` in the negotiated format; every request leaves
 * one audit line.
 */
export function buildApi<S extends AppServices>(
  s: S,
  factories: readonly RouteFactory<S>[],
  options: ApiServerOptions = {},
): FastifyInstance {
  // An HTTPS fastify is typed over https.Server; every route and hook here is the same either way.
  const app = Fastify({
    ...(options.https ? { https: options.https } : {}),
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: true,
    exposeHeadRoutes: false,
  }) as unknown as FastifyInstance;
  if (options.https) {
    // Browsers and clients that honour it never try plain HTTP to this host again (issue #13).
    app.addHook('onRequest', (_req, reply, done) => {
      reply.header('strict-transport-security', HSTS_HEADER);
      done();
    });
  }
  app.decorate('brineRoutes', [] as RouteSpec[]);
  app.decorate('registeredRoutes', [] as string[]);
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) app.registeredRoutes.push(`${m} ${r.url}`);
  });
  installBodyParsers(app);
  installAudit(app, s);
  installCors(app, s.corsOrigins ?? []);
  installUpgrades(app);
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    // The shared database down (docs/scale.md): 503 with the store's code, until it is back.
    const outage = isStoreOutage(err);
    const known = err instanceof HttpError || outage;
    const status =
      err instanceof HttpError
        ? err.status
        : outage
          ? 503
          : err.statusCode && err.statusCode >= 400 && err.statusCode < 500
            ? err.statusCode
            : 500;
    if (status === 500 && !known) s.log.error({ err: err.message }, 'request failed');
    const code = known ? err.code : status === 500 ? ApiErrorCode.internal : ApiErrorCode.badRequest;
    if (err instanceof TooManyRequestsError)
      reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterS))));
    req.audit.code = code;
    if (isSaltRoute(req)) {
      const message = status === 500 && !known ? 'An unexpected error occurred' : err.message;
      const salt = saltErrorBody(status, code, message);
      const type = saltOutputType(req.headers.accept) ?? 'application/json';
      return reply.status(salt.status).type(type).send(serializeSalt(type, salt.body));
    }
    if (err instanceof HttpError) {
      const data = err.data === undefined ? {} : { data: err.data };
      return reply.status(status).send({ code, message: err.message, ...data });
    }
    if (outage) return reply.status(503).send({ code, message: 'the job store is unreachable; retry later' });
    return reply.status(status).send({ code, message: status === 500 ? 'internal error' : err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    req.audit.code = ApiErrorCode.notFound;
    return reply.status(404).send({ code: ApiErrorCode.notFound, message: 'no such route' });
  });
  for (const make of factories) for (const spec of make(s)) register(app, s, spec);
  // The job duration histogram, fed from the bus so jobs started by hooks and salt-api count too.
  const done = s.bus.events$(['brine/job/*/done']).subscribe((e) => {
    s.metrics.observeJobSeconds((e.data as JobSummary).durationMs / 1000);
  });
  app.addHook('onClose', async () => done.unsubscribe());
  return app;
}

function register(app: FastifyInstance, s: AppServices, spec: RouteSpec): void {
  app.brineRoutes.push(spec);
  const salt = spec.tag === 'salt-api';
  app.route({
    method: spec.method,
    url: spec.url,
    config: { salt },
    handler: async (req: FastifyRequest, reply) => {
      const principal = authenticate(req, spec.permission, s, {
        query: spec.queryToken === true,
        cookie: salt ? (s.corsOrigins ?? []) : undefined,
        path: spec.pathToken ? (req.params as { token?: string }).token : undefined,
      });
      if (salt && spec.produces === undefined) negotiateSalt(req, reply);
      if (principal !== ANONYMOUS) {
        req.audit.user = principal.user;
        if (principal.tokenId !== undefined) req.audit.tokenId = principal.tokenId;
      }
      const params = spec.params ? parseOr400(spec.params, req.params, 'params') : req.params;
      const query = spec.query ? parseOr400(spec.query, req.query, 'query') : req.query;
      const body = spec.body ? parseOr400(spec.body, req.body, 'body') : req.body;
      if (spec.status !== undefined) reply.status(spec.status);
      return spec.handler({ req, reply, principal, body, query, params });
    },
  });
}
