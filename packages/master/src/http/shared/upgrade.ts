import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';

/** The WebSocket upgrades of one API: requests routed through fastify, sockets handed over here. */
export interface Upgrades {
  /**
   * Completes the upgrade of a request that asked for one, calling `onSocket` with the open
   * WebSocket; false when the request is not an upgrade (an ordinary GET).
   */
  accept(req: FastifyRequest, onSocket: (ws: WebSocket) => void): boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** WebSocket upgrades of routes that serve them (salt-api's `/ws`). */
    upgrades: Upgrades;
  }
}

/** Largest message a WebSocket client may send (it sends one line: "websocket client ready"). */
const MAX_CLIENT_MESSAGE_BYTES = 4096;

/**
 * Routes HTTP upgrade requests through fastify like any request, so they are authenticated,
 * audited and answered (401, 404) by the same code; a route that serves WebSockets completes the
 * upgrade with `app.upgrades.accept`. A request no route upgraded gets its HTTP answer, and the
 * socket is then closed. Open WebSockets are terminated when the app closes.
 */
export function installUpgrades(app: FastifyInstance): void {
  const pending = new WeakMap<IncomingMessage, { socket: Duplex; head: Buffer }>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  app.decorate('upgrades', {
    accept: (req, onSocket) => {
      const up = pending.get(req.raw);
      if (!up) return false;
      pending.delete(req.raw);
      wss.handleUpgrade(req.raw, up.socket, up.head, onSocket);
      return true;
    },
  } satisfies Upgrades);
  app.server.on('upgrade', (raw: IncomingMessage, socket: Duplex, head: Buffer) => {
    pending.set(raw, { socket, head });
    const res = new ServerResponse(raw);
    res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
    // Answered over HTTP (refused, or not an upgrade route): nothing else may use the socket.
    res.once('finish', () => {
      if (pending.delete(raw)) socket.end();
    });
    socket.on('error', () => socket.destroy());
    app.routing(raw, res);
  });
  app.addHook('onClose', async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
}
