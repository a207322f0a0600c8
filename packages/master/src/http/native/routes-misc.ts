import { Permission } from '../auth/auth.js';
import { buildOpenApi } from './openapi.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { MasterServices } from '../shared/services.js';

/** The API version the OpenAPI document states. */
export const API_VERSION = '1.0.0';

/** `/healthz`, `/metrics` and `/openapi.json` (built from the serving app's route table). */
export function miscRoutes(s: Pick<MasterServices, 'manager' | 'metrics' | 'registry'>): RouteSpec[] {
  let doc: string | undefined;
  return [
    route({
      method: 'GET',
      url: '/healthz',
      permission: Permission.public,
      tag: 'ops',
      summary: 'Liveness: {ok: true}',
      handler: async () => ({ ok: true }),
    }),
    route({
      method: 'GET',
      url: '/openapi.json',
      permission: Permission.public,
      tag: 'ops',
      summary: 'This API as an OpenAPI 3.1 document, generated from the route table',
      handler: async ({ req, reply }) => {
        reply.type('application/json; charset=utf-8');
        return (doc ??= JSON.stringify(buildOpenApi(req.server.brineRoutes, API_VERSION)));
      },
    }),
    route({
      method: 'GET',
      url: '/metrics',
      permission: Permission.metrics,
      tag: 'ops',
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      produces: 'text/plain; version=0.0.4',
      handler: async ({ reply }) => {
        reply.type('text/plain; version=0.0.4; charset=utf-8');
        return s.metrics.render({
          connectedMinions: s.registry.connectedCount,
          knownMinions: s.registry.list().length,
          activeJobs: s.manager.active().length,
        });
      },
    }),
  ];
}
