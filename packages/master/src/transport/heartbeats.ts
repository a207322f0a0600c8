import type { WebSocket } from 'ws';

/**
 * The liveness of authenticated sockets, for the ping sweep: a socket is alive when it answered
 * the last ping. One per minion server; made by {@link createHeartbeats}.
 */
export interface Heartbeats {
  /** Starts watching an authenticated socket; it counts as alive until the next sweep. */
  track(ws: WebSocket): void;
  /**
   * One sweep: a watched socket that did not answer the previous ping is terminated (and
   * `onDead` told); every other one is pinged. Sockets not watched (still in the handshake) are
   * left alone.
   */
  sweep(sockets: Iterable<WebSocket>, onDead: (ws: WebSocket) => void): void;
}

/** Makes a {@link Heartbeats}; the sockets it watches are held weakly. */
export function createHeartbeats(): Heartbeats {
  const alive = new WeakMap<WebSocket, boolean>();
  return {
    track: (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
    },
    sweep: (sockets, onDead) => {
      for (const ws of sockets) {
        const answered = alive.get(ws);
        if (answered === undefined) continue;
        if (!answered) {
          onDead(ws);
          ws.terminate();
          continue;
        }
        alive.set(ws, false);
        ws.ping();
      }
    },
  };
}
