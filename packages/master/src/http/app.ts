import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ApiErrorCode, type JobSummary } from '@brine/protocol';
import { z } from 'zod';
import { installAudit } from './audit.js';
import { ANONYMOUS, authenticate } from './auth.js';
import { installBodyParsers } from './body-parsers.js';
import { BadRequestError, HttpError, TooManyRequestsError } from './errors.js';
import type { ApiServices, RouteFactory, RouteSpec } from './route.js';

export { HttpError } from './errors.js';
export type { ApiServices, RouteSpec } from './route.js';

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

/**
 * Builds the REST API. Every route declares a permission; all but `public` and `hook` ones need
 * a valid token, checked before the body is even validated. Errors are `{code, message}` JSON;
 * every request leaves one audit line.
 */
export function buildApi(s: ApiServices, factories: readonly RouteFactory[]): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 4 * 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: true,
    exposeHeadRoutes: false,
  });
  app.decorate('brineRoutes', [] as RouteSpec[]);
  app.decorate('registeredRoutes', [] as string[]);
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) app.registeredRoutes.push(`${m} ${r.url}`);
  });
  installBodyParsers(app);
  installAudit(app, s);
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof HttpError) {
      req.audit.code = err.code;
      const data = err.data === undefined ? {} : { data: err.data };
      if (err instanceof TooManyRequestsError)
        reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterS))));
      return reply.status(err.status).send({ code: err.code, message: err.message, ...data });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) s.log.error({ err: err.message }, 'request failed');
    const code = status === 500 ? ApiErrorCode.internal : ApiErrorCode.badRequest;
    req.audit.code = code;
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

function register(app: FastifyInstance, s: ApiServices, spec: RouteSpec): void {
  app.brineRoutes.push(spec);
  app.route({
    method: spec.method,
    url: spec.url,
    handler: async (req: FastifyRequest, reply) => {
      const principal = authenticate(req, spec.permission, s, spec.queryToken);
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
