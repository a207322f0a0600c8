import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConnectGate } from './connect-gate.js';
import { createHeartbeats } from './heartbeats.js';
import { handleMinionSocket, type ConnectionDeps } from './minion-connection.js';
import { createFrameMemo } from './ws-frame.js';

/** Options for {@link startMinionServer}. */
export interface MinionServerOptions {
  host: string;
  port: number;
  /** TLS key and certificate; plain ws when absent (loopback only, checked by config). */
  tls?: { keyPem: string; certPem: string };
  deps: ConnectionDeps;
  /** Connections in the TLS and Brine handshakes at once; more wait at accept (ConnectGate). */
  maxHandshaking: number;
  /** Connections waiting at accept; the excess is reset before TLS. */
  maxConnectQueue: number;
  /** A connection that waited longer than this at accept is reset: its minion gave up. */
  connectQueueWaitMs: number;
  /** A connection must authenticate within this of getting its handshake slot (TLS included). */
  handshakeTimeoutMs: number;
  /** Handshake slots one source address may hold. */
  maxHandshakingPerAddress: number;
  /** Connections from one source address between accept and authentication, waiting included. */
  maxPreauthPerAddress: number;
}

/** The running minion listener. */
export interface MinionServer {
  port: number;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

/**
 * Listens for minions over WebSocket (TLS by default), with permessage-deflate off (it cost 6x
 * fan-out time and 250 KB per connection here), the frame size cap as `maxPayload`, and a
 * ping/pong sweep that drops a peer which missed one heartbeat interval.
 */
export async function startMinionServer(options: MinionServerOptions): Promise<MinionServer> {
  const server: HttpServer = options.tls
    ? createHttpsServer({
        key: options.tls.keyPem,
        cert: options.tls.certPem,
        minVersion: 'TLSv1.3',
        // Node's own TLS deadline (120 s by default); the gate's covers the whole handshake too.
        handshakeTimeout: options.handshakeTimeoutMs,
      })
    : createHttpServer();
  // The TCP listener is ours; the HTTP(S) server only gets what the gate lets through.
  const gate = new ConnectGate({
    maxHandshaking: options.maxHandshaking,
    maxQueued: options.maxConnectQueue,
    maxWaitMs: options.connectQueueWaitMs,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    maxHandshakingPerAddress: options.maxHandshakingPerAddress,
    maxPreauthPerAddress: options.maxPreauthPerAddress,
    now: () => Date.now(),
    handOff: (socket) => {
      server.emit('connection', socket);
      socket.resume();
    },
  });
  const deps = options.deps;
  const front = createNetServer({ pauseOnConnect: true, noDelay: true }, (socket) => gate.accept(socket));
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('minion port: WebSocket only\n');
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    maxPayload: deps.maxFrameBytes,
    clientTracking: true,
  });
  wss.on('error', (err) => deps.log.error({ err: err.message }, 'minion listener error'));
  // One of each per server, shared by all its sockets: a fan-out frames its job once.
  const frames = createFrameMemo();
  const heartbeats = createHeartbeats();
  wss.on('connection', (ws: WebSocket, req) => {
    ws.binaryType = 'nodebuffer';
    const peer = req.socket;
    handleMinionSocket(ws, peer.remoteAddress ?? '', {
      ...deps,
      frames,
      onAuthenticated: (...args) => {
        // Found by address and port: the TLS socket shares them with the TCP socket the gate holds.
        gate.authenticated(peer);
        heartbeats.track(ws);
        deps.onAuthenticated(...args);
      },
    });
  });
  const sweep = setInterval(
    () => heartbeats.sweep(wss.clients, () => deps.log.info('minion missed a heartbeat; dropping it')),
    deps.heartbeatMs,
  );
  sweep.unref();
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen({ host: options.host, port: options.port, backlog: 4096 }, () => resolve());
  });
  return {
    port: (front.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweep);
        gate.close();
        for (const ws of wss.clients) ws.close(1001, 'shutdown');
        wss.close();
        let open = 2;
        const done = () => --open === 0 && resolve();
        front.close(done);
        server.close(done);
        setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
          server.closeAllConnections?.();
          gate.destroyAll();
        }, 500).unref();
      }),
  };
}
