import type { WebSocket } from 'ws';

/** How long a peer gets to answer our close frame before its socket is cut. */
export const CLOSE_GRACE_MS = 1000;

/**
 * Starts the WebSocket close handshake and cuts the socket off if the peer has not finished it
 * within `graceMs`: a peer that ignores the close frame is not kept for ws's 30 s default. The
 * timer is dropped as soon as the socket closes and never holds the process open.
 */
export function closeThenTerminate(
  ws: Pick<WebSocket, 'close' | 'terminate' | 'once'>,
  code: number,
  reason: string,
  graceMs: number = CLOSE_GRACE_MS,
): void {
  ws.close(code, reason);
  const timer = setTimeout(() => ws.terminate(), graceMs);
  timer.unref();
  ws.once('close', () => clearTimeout(timer));
}
