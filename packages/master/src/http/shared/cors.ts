import type { FastifyInstance } from 'fastify';

/** Methods a cross-origin caller may use (rest_cherrypy's `cors_tool` allows these two). */
const ALLOWED_METHODS = ['GET', 'POST'];
/** Request headers a cross-origin caller may send: salt-api's, plus the native bearer header. */
const ALLOWED_HEADERS = ['Content-Type', 'X-Auth-Token', 'X-Requested-With', 'Authorization'];
/** How long a browser may cache a preflight answer (rest_cherrypy's figure). */
const PREFLIGHT_MAX_AGE_S = 1400;

/**
 * CORS for the origins in `api.cors_origins` (none by default: no cross-origin reads at all).
 * Where rest_cherrypy echoes any Origin with credentials allowed, this echoes only a configured
 * one (`*` in the list allows every origin, as Salt does). Every `OPTIONS` request is a
 * preflight answered here with 200 and no body, before routing and authentication (Salt
 * short-circuits its handler the same way); the CORS headers go only to allowed origins.
 */
export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = (origin: string | undefined): origin is string =>
    origin !== undefined && (origins.includes('*') || origins.includes(origin));
  app.addHook('onRequest', (req, reply, done) => {
    const origin = req.headers.origin;
    if (allowed(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('access-control-expose-headers', 'X-Auth-Token');
      reply.header('vary', 'Origin');
    }
    if (req.method !== 'OPTIONS') return done();
    const method = req.headers['access-control-request-method'];
    if (allowed(origin) && typeof method === 'string' && ALLOWED_METHODS.includes(method)) {
      reply.header('access-control-allow-methods', ALLOWED_METHODS.join(', '));
      reply.header('access-control-allow-headers', ALLOWED_HEADERS.join(', '));
      reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
    }
    req.audit.detail = 'cors preflight';
    void reply.status(200).send();
  });
}
