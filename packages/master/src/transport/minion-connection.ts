import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import {
  ErrorCode,
  SignContext,
  authFactsDigest,
  grainsUpdateTranscript,
  decodeFrame,
  mayReceive,
  encodeFrame,
  signBytes,
  transcript,
  validateMinionId,
  verifyBytes,
  type Frame,
  type FrameInput,
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
   * to record a new one. `address` is the connection's source address.
   */
  admitKey(
    hello: Pick<Frame<'hello'>, 'id' | 'pub'>,
    auth: Pick<Frame<'auth'>, 'grains' | 'enrollToken'>,
    address: string,
  ): AdmitResult;
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

/** WebSocket close codes used by the master. */
export const CloseCode = { normal: 1000, goingAway: 1001, policy: 1008, tooBig: 1009, tryAgain: 1013 } as const;

/**
 * A close reason for `ws.close`: the code when it is a short ASCII identifier, else empty. ws
 * throws for a reason over 123 bytes, and a peer's `error` frame chose the code: 64 multibyte
 * characters crashed the master.
 */
export function closeReason(code: string): string {
  return /^[\x21-\x7e]{1,123}$/.test(code) ? code : '';
}

/**
 * Runs one minion connection: the handshake (hello → challenge → auth → welcome), then frame
 * dispatch. A bad frame, a failed proof or a missed deadline closes only this connection.
 */
export function handleMinionSocket(ws: WebSocket, address: string, deps: SocketDeps): void {
  let state: 'hello' | 'auth' | 'ready' | 'closed' = 'hello';
  let hello: Frame<'hello'> | undefined;
  let nonce: Buffer | undefined;
  let grainsSeq = 0;
  let link: TransportLink | undefined;
  let admitted = false;
  // A child logger per connection costs about half a kilobyte for the connection's life; most
  // connections never log, so it is made on first use.
  let childLog: Logger | undefined;
  const log = (): Logger => (hello ? (childLog ??= deps.log.child({ minionId: hello.id })) : deps.log);

  // First, before any path can return: a socket without an 'error' listener takes the process
  // down on a protocol error from its peer (refused sockets used to have none).
  ws.on('error', (err) => log().debug({ err: err.message }, 'socket error'));
  const send = (frame: FrameInput) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(frame));
  };
  const closeWith = (code: string, message: string, wsCode: number = CloseCode.policy) => {
    if (state === 'closed') return;
    send({ type: 'error', code, message });
    closeThenTerminate(ws, wsCode, closeReason(code));
    finish();
  };
  const finish = () => {
    if (state === 'closed') return;
    state = 'closed';
    clearTimeout(authTimer);
    if (admitted) deps.admission.leave();
    admitted = false;
  };

  const entry = deps.admission.enter();
  if (!entry.ok) {
    send({
      type: 'auth.refused',
      code: ErrorCode.AUTH_BUSY,
      message: 'master busy; retry later',
      retryAfterMs: entry.retryAfterMs,
    });
    closeThenTerminate(ws, CloseCode.tryAgain, ErrorCode.AUTH_BUSY);
    state = 'closed';
    return;
  }
  admitted = true;
  const authTimer = setTimeout(
    () => closeWith(ErrorCode.AUTH_TIMEOUT, 'authentication did not complete in time'),
    deps.authTimeoutMs,
  );

  ws.on('close', () => {
    finish();
    if (link) deps.onClosed(link);
  });
  ws.on('message', (data, isBinary) => {
    if (state === 'closed') return;
    if (!isBinary) return closeWith(ErrorCode.FRAME_MALFORMED, 'frames are binary');
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const decoded = decodeFrame(bytes, { maxFrameBytes: deps.maxFrameBytes });
    if (!decoded.ok)
      return closeWith(
        decoded.error.code,
        decoded.error.message,
        decoded.error.code === ErrorCode.FRAME_TOO_LARGE ? CloseCode.tooBig : CloseCode.policy,
      );
    const frame = decoded.frame;
    if (!mayReceive(frame.type, state)) return closeWith(ErrorCode.FRAME_NOT_ALLOWED, `${frame.type} not allowed now`);
    if (frame.type === 'error') return closeWith(frame.code.slice(0, 64), 'peer error', CloseCode.normal);
    if (state === 'ready') {
      if (frame.type === 'grains.update' && !grainsSigned(frame)) {
        return closeWith(ErrorCode.SIGNATURE_INVALID, 'grains update not signed by the minion in this session');
      }
      return deps.onFrame(link!, frame);
    }
    if (frame.type === 'hello') return onHello(frame);
    if (frame.type === 'auth') return onAuth(frame);
  });

  /** Whether a grains update is the minion's, for this session, and newer than the last (issue #13). */
  function grainsSigned(frame: Frame<'grains.update'>): boolean {
    const h = hello!;
    if (frame.seq <= grainsSeq) return false;
    const signed = grainsUpdateTranscript({ id: h.id, masterNonce: nonce!, seq: frame.seq, grains: frame.grains });
    if (!verifyBytes(h.pub, signed, frame.sig)) return false;
    grainsSeq = frame.seq;
    return true;
  }

  function onHello(frame: Frame<'hello'>): void {
    const valid = validateMinionId(frame.id);
    if (!valid.ok) return closeWith(valid.error.code, valid.error.message);
    if (frame.pub.byteLength !== 32 || frame.nonce.byteLength < 16)
      return closeWith(ErrorCode.FRAME_SCHEMA, 'bad key or nonce');
    hello = frame;
    nonce = randomBytes(32);
    const sig = signBytes(
      deps.identity.privateKey,
      transcript(SignContext.masterChallenge, [frame.id, frame.nonce, nonce, deps.certFingerprint, frame.pub]),
    );
    state = 'auth';
    send({ type: 'challenge', masterPub: deps.identity.publicRaw, nonce, certFp: deps.certFingerprint, sig });
  }

  function onAuth(frame: Frame<'auth'>): void {
    const h = hello!;
    const signed = transcript(SignContext.minionAuth, [
      h.id,
      nonce!,
      h.nonce,
      deps.identity.publicRaw,
      deps.certFingerprint,
      // Grains, running jobs and the enrollment token are the minion's signed word, not just TLS's.
      authFactsDigest(frame),
    ]);
    if (!verifyBytes(h.pub, signed, frame.sig))
      return closeWith(ErrorCode.SIGNATURE_INVALID, 'proof of key possession failed');
    const keyState = deps.admitKey(h, frame, address);
    if (keyState === 'limited') {
      // Issue 13 finding 6: too many new pending keys; the id was not recorded. Come back later.
      // Debug, not warn: a flood would write a line per attempt; GET /keys counts the refusals.
      log().debug('new minion key not recorded: pending-key limit reached');
      const retryAfterMs = Math.round(deps.pendingRetryMs * (0.5 + deps.random()));
      send({
        type: 'auth.refused',
        code: ErrorCode.AUTH_BUSY,
        message: 'too many pending keys; retry later',
        retryAfterMs,
      });
      closeThenTerminate(ws, CloseCode.tryAgain, ErrorCode.AUTH_BUSY);
      finish();
      return;
    }
    if (keyState !== 'accepted') {
      const code =
        keyState === 'pending'
          ? ErrorCode.KEY_PENDING
          : keyState === 'rejected'
            ? ErrorCode.KEY_REJECTED
            : ErrorCode.KEY_DENIED;
      log().info({ keyState }, 'minion not admitted');
      const retryAfterMs = Math.round(deps.pendingRetryMs * (0.5 + deps.random()));
      send({ type: 'auth.refused', code, message: `minion key is ${keyState}`, retryAfterMs });
      closeThenTerminate(ws, CloseCode.policy, code);
      finish();
      return;
    }
    clearTimeout(authTimer);
    deps.admission.leave();
    admitted = false;
    state = 'ready';
    const writable = (): boolean => {
      if (ws.readyState !== ws.OPEN) return false;
      if (ws.bufferedAmount > deps.maxBufferedBytes) {
        log().warn({ bufferedBytes: ws.bufferedAmount }, 'slow reader cut off');
        ws.terminate();
        return false;
      }
      return true;
    };
    link = {
      id: h.id,
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
      close: (reason) => {
        send({ type: 'error', code: reason, message: reason });
        closeThenTerminate(ws, CloseCode.policy, closeReason(reason));
      },
    };
    send({ type: 'welcome', heartbeatMs: deps.heartbeatMs });
    deps.onAuthenticated(link, h, frame, address);
  }
}
