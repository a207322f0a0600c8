import { z } from 'zod';
import { Permission } from '../auth/auth.js';
import { BadRequestError, ForbiddenError } from '../shared/errors.js';
import { WEBSOCKET } from '../native/openapi.js';
import { route, type RouteSpec } from '../shared/route.js';
import { inlinePrincipal } from './routes-salt-auth.js';
import { runCommand, type SaltRouteServices, type WheelJids } from './salt-clients.js';
import { saltEvents$ } from './salt-events.js';
import { lowstateSchema } from './salt-lowstate.js';
import { MASTER_VERSION } from './salt-runners.js';
import { tarArchive } from './salt-tar.js';
import { WHEELS } from './salt-wheel.js';

/** What a WebSocket client sends to start the stream (rest_cherrypy's SynchronizingWebsocket). */
const READY = 'websocket client ready';
/** A WebSocket client this far behind is cut off rather than buffered without end. */
const MAX_WS_BUFFERED_BYTES = 8 * 1024 * 1024;

const tokenParams = z.object({ token: z.string().min(1).max(512) });

/** salt-api's `GET /stats`, `POST /keys` and the `/ws` event stream. */
export function saltRoutesMore(s: SaltRouteServices, wheelJid: WheelJids): RouteSpec[] {
  const startedAt = s.now();
  const ws = (url: string, withToken: boolean) =>
    route({
      method: 'GET',
      url,
      permission: Permission.events,
      tag: 'salt-api',
      summary: `salt-api WebSocket event stream (token ${withToken ? 'in the path' : 'by X-Auth-Token or session_id cookie'}): after the client sends "${READY}", one "data: {tag, data}" message per event`,
      produces: WEBSOCKET,
      ...(withToken ? { params: tokenParams, pathToken: true } : {}),
      handler: async ({ req, reply, principal }) => {
        const upgraded = req.server.upgrades.accept(req, (socket) => {
          let sub: { unsubscribe(): void } | undefined;
          socket.on('message', (msg) => {
            if (sub || String(msg) !== READY) return;
            sub = saltEvents$(s, principal).subscribe({
              next: (e) => {
                if (socket.bufferedAmount > MAX_WS_BUFFERED_BYTES) return socket.terminate();
                socket.send(`data: ${JSON.stringify(e)}\n\n`);
              },
              complete: () => socket.close(1001, 'master stopping'),
            });
          });
          socket.once('close', () => sub?.unsubscribe());
        });
        if (!upgraded) throw new BadRequestError('a WebSocket upgrade is required');
        reply.hijack();
        return reply;
      },
    });
  return [
    route({
      method: 'GET',
      url: '/stats',
      permission: Permission.token,
      tag: 'salt-api',
      summary: "salt-api statistics (CherryPy's shape, with Brine's figures); browser UIs poll it to check the session",
      handler: async () => {
        const now = s.now();
        const uptimeS = (now - startedAt) / 1000;
        return {
          'CherryPy Applications': {
            Enabled: true,
            'Server Version': `Brine ${MASTER_VERSION}`,
            'Start Time': startedAt / 1000,
            'Current Time': now / 1000,
            Uptime: uptimeS,
            'Total Requests': s.metrics.requestsTotal,
            'Requests/Second': uptimeS > 0 ? s.metrics.requestsTotal / uptimeS : 0,
            Requests: {},
          },
          Brine: {
            'Minions Connected': s.registry.connectedCount,
            'Minions Known': s.registry.list().length,
            'Jobs Active': s.manager.active().length,
            'Jobs Started': s.metrics.jobsStarted,
            'Returns Stored': s.metrics.returnsStored,
          },
        };
      },
    }),
    route({
      method: 'POST',
      url: '/keys',
      permission: Permission.public,
      tag: 'salt-api',
      summary:
        'salt-api key generation: wheel key.gen_accept for mid (username/password/eauth or token in the body); answers a tar of minion.pem and minion.pub',
      produces: 'application/x-tar',
      body: lowstateSchema,
      handler: async ({ req, reply, body }) => {
        const p = await inlinePrincipal(s, body, req.ip);
        req.audit.user = p.user;
        if (p.tokenId !== undefined) req.audit.tokenId = p.tokenId;
        const fun = 'key.gen_accept';
        if (!p.grants.admin && !WHEELS[fun]!.allowed(p, fun))
          throw new ForbiddenError(`not allowed to run wheel ${fun}`);
        const { mid, id_, ...rest } = body as Record<string, unknown>;
        const kwargs = { ...rest, id_: id_ ?? mid };
        const [env] = await runCommand(s, p, { client: 'wheel', fun, args: [], kwargs }, req, wheelJid);
        const ret = (env as { data: { return: { pub: string; priv: string } } }).data.return;
        const id = String(kwargs.id_);
        reply.header('content-disposition', `attachment; filename="saltkeys-${id}.tar"`);
        reply.header('cache-control', 'no-cache');
        reply.type('application/x-tar');
        return tarArchive(
          [
            { name: 'minion.pub', data: Buffer.from(ret.pub), mode: 0o644 },
            { name: 'minion.pem', data: Buffer.from(ret.priv), mode: 0o600 },
          ],
          s.now() / 1000,
        );
      },
    }),
    ws('/ws', false),
    ws('/ws/:token', true),
  ];
}
