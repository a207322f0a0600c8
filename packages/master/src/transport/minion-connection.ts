import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  ErrorCode,
  decodeFrame,
  encodeFrame,
  masterHandshake,
  stepMaster,
  type Frame,
  type MasterHandshakeEvent,
  type MasterHandshakeOutput,
} from '@brine/protocol';
import type { MinionLink } from '../core/minion-link.js';
import type { Admission } from './admission.js';
import { writeFrame, type FrameMemo } from './ws-frame.js';
import { closeThenTerminate } from './close-socket.js';
import type { MasterIdentity } from '../keys/master-identity.js';
import type { AdmitResult } from '../keys/key-store.js';

/** A link as the transport hands it out: it can also send two frames in one write. */
export interface TransportLink extends MinionLink {
  /**
   * Queues two pre-encoded frames, in order, as one socket write. Both may be shared by many links
   * (a fan-out's acks and its job): the joined buffer is then made once (FrameMemo.framedPair).
   */
  sendPair(first: Uint8Array, second: Uint8Array): boolean;
}

/** What a connection needs from the master; injected by the server. */
export interface ConnectionDeps {
  identity: MasterIdentity;
  /** TLS certificate fingerprint the minion must see, or '' on plain ws. */
  certFingerprint: string;
  admission: Admission;
  log: Logger;
  /**
   * Decides the key's state, recording new keys; `limited` when the pending-key limits refused
   * to record a new one. `address` is the connection's source address. A promise when the answer
   * waits for a new key to be stored.
   */
  admitKey(
    hello: Pick<Frame<'hello'>, 'id' | 'pub'>,
    auth: Pick<Frame<'auth'>, 'grains' | 'enrollToken'>,
    address: string,
  ): AdmitResult | Promise<AdmitResult>;
  /** Called once the minion is authenticated and accepted. */
  onAuthenticated(link: TransportLink, hello: Frame<'hello'>, auth: Frame<'auth'>, address: string): void;
  /** Called for every frame an authenticated minion sends, after decoding and sender checks. */
  onFrame(link: MinionLink, frame: Frame): void;
  onClosed(link: MinionLink): void;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  authTimeoutMs: number;
  heartbeatMs: number;
  /** Retry delay told to pending minions, in ms. */
  pendingRetryMs: number;
  random(): number;
}

/** What one socket needs beyond the master's deps: the server's frame memo, shared by all sockets. */
export type SocketDeps = ConnectionDeps & { frames: FrameMemo };

/** The close reason rule is protocol's now; re-exported where its test has always found it. */
export { closeReason } from '@brine/protocol';

/**
 * Runs one minion connection: a thin shell around protocol's handshake machine (hello →
 * challenge → auth → welcome, then the session's frame check). It feeds the machine the socket's
 * frames, the admission answer, the key decision and the deadline, and performs what the machine
 * says: send, close, admit, release, start or end the session, deliver. A bad frame, a failed
 * proof or a missed deadline closes only this connection.
 */
export function handleMinionSocket(ws: WebSocket, address: string, deps: SocketDeps): void {
  let link: TransportLink | undefined;
  let hs = masterHandshake({
    privateKey: deps.identity.privateKey,
    publicRaw: deps.identity.publicRaw,
    certFp: deps.certFingerprint,
    nonce: randomBytes(32),
    pendingRetryMs: deps.pendingRetryMs,
    heartbeatMs: deps.heartbeatMs,
  });
  // A child logger per connection costs about half a kilobyte for the connection's life; most
  // connections never log, so it is made on first use.
  let childLog: Logger | undefined;
  const log = (): Logger => (hs.hello ? (childLog ??= deps.log.child({ minionId: hs.hello.id })) : deps.log);

  // First, before any path can return: a socket without an 'error' listener takes the process
  // down on a protocol error from its peer (refused sockets used to have none).
  ws.on('error', (err) => log().debug({ err: err.message }, 'socket error'));

  const feed = (event: MasterHandshakeEvent): void => {
    const step = stepMaster(hs, event);
    hs = step.state;
    for (const out of step.outputs) perform(out);
  };
  const perform = (out: MasterHandshakeOutput): void => {
    switch (out.type) {
      case 'send':
        if (ws.readyState === ws.OPEN) ws.send(encodeFrame(out.frame));
        return;
      case 'close':
        return closeThenTerminate(ws, out.code, out.reason);
      case 'admit': {
        const decision = deps.admitKey(out.hello, out.auth, address);
        // Answered later when it waits for the key's write; the machine ignores it if closed by then.
        if (typeof decision === 'string') return feed({ type: 'admitted', decision, random: deps.random() });
        return void decision.then((d) => feed({ type: 'admitted', decision: d, random: deps.random() }));
      }
      case 'release':
        clearTimeout(authTimer);
        return deps.admission.leave();
      case 'authenticated':
        link = sessionLink(ws, out.hello.id, deps, feed, log);
        return deps.onAuthenticated(link, out.hello, out.auth, address);
      case 'deliver':
        return deps.onFrame(link!, out.frame);
      case 'ended':
        return deps.onClosed(link!);
      case 'log':
        return log()[out.level](out.fields, out.msg);
    }
  };

  const entry = deps.admission.enter();
  feed(entry.ok ? { type: 'open' } : { type: 'open', busy: { retryAfterMs: entry.retryAfterMs } });
  if (hs.phase === 'closed') return;
  // Made once the connection holds an admission slot; only `release` clears it, and only a held slot is released.
  const authTimer = setTimeout(() => feed({ type: 'timeout' }), deps.authTimeoutMs);
  ws.on('close', () => feed({ type: 'closed' }));
  ws.on('message', (data, isBinary) => {
    if (hs.phase === 'closed') return;
    if (!isBinary) return feed({ type: 'bad-frame', code: ErrorCode.FRAME_MALFORMED, message: 'frames are binary' });
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const decoded = decodeFrame(bytes, { maxFrameBytes: deps.maxFrameBytes });
    feed(
      decoded.ok
        ? { type: 'frame', frame: decoded.frame }
        : { type: 'bad-frame', code: decoded.error.code, message: decoded.error.message },
    );
  });
}

/** The link of an authenticated session: writes through the server's frame memo, cuts a slow reader. */
function sessionLink(
  ws: WebSocket,
  id: string,
  deps: SocketDeps,
  feed: (event: MasterHandshakeEvent) => void,
  log: () => Logger,
): TransportLink {
  const writable = (): boolean => {
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > deps.maxBufferedBytes) {
      log().warn({ bufferedBytes: ws.bufferedAmount }, 'slow reader cut off');
      ws.terminate();
      return false;
    }
    return true;
  };
  return {
    id,
    send: (bytes) => {
      if (!writable()) return false;
      writeFrame(ws, deps.frames.framed(bytes));
      return true;
    },
    sendPair: (first, second) => {
      if (!writable()) return false;
      writeFrame(ws, deps.frames.framedPair(first, second));
      return true;
    },
    close: (reason) => feed({ type: 'kick', reason }),
  };
}
