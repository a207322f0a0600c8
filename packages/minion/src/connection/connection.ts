import { randomBytes, type KeyObject } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import {
  ErrorCode,
  SignContext,
  authFactsDigest,
  grainsUpdateTranscript,
  decodeFrame,
  encodeFrame,
  fingerprint,
  signBytes,
  transcript,
  verifyBytes,
  type DecodeResult,
  type Frame,
  type FrameInput,
} from '@brine/protocol';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import type { MasterPin } from './master-pin.js';
import { MasterList, type MasterOrderValue } from './master-list.js';

/** What a connection needs; the daemon and the swarm each build one per minion. */
export interface ConnectionOptions {
  id: string;
  /** `wss://host:port` (or `ws://` on loopback with the explicit insecure setting). */
  url: string;
  /** Several masters to fail over between; `url` is then unused. @default [url] */
  urls?: readonly string[];
  /** The order in which `urls` are tried. @default 'failover' */
  order?: MasterOrderValue;
  privateKey: KeyObject;
  publicRaw: Buffer;
  pin: MasterPin;
  log: Logger;
  version: string;
  /** Grains sent with each authentication. */
  grains(): Record<string, unknown>;
  /** Jobs running now, sent with each authentication. */
  running(): string[];
  /** Called once per authenticated session, after `welcome`. */
  onReady(session: Session): void;
  /** Called for each frame the master sends in an authenticated session. */
  onFrame(frame: Frame, session: Session): void;
  onClosed?(): void;
  backoff: BackoffOptions;
  /** Largest frame accepted from the master. */
  maxFrameBytes: number;
  /** A one-time enrollment token, sent with the authentication. */
  enrollToken?: string;
  /** Source address for the TCP connection (a swarm spreads over 127.x addresses). */
  localAddress?: string;
  random?: () => number;
  /**
   * Decodes a frame from the master; `decodeFrame` with `maxFrameBytes` when absent. A swarm
   * shares one that decodes each published job once for all its minions.
   */
  decode?: (bytes: Buffer) => DecodeResult;
  /** Fingerprint of the master's public key, set after the first successful challenge. */
  masterKey?: { pub: Uint8Array; fingerprint: string };
  /**
   * The TLS context of `wss:` connects; a swarm shares one among its minions (see
   * {@link createTlsContext}). @default one made on the first connect, kept for the reconnects
   */
  tlsContext?: SecureContext;
}

/**
 * How long a connect may take up to the WebSocket upgrade. A master that comes back to a whole
 * fleet holds the excess connections at accept, in order, until it has handshake capacity (its
 * `connect_queue_wait_ms`, 15 s by default, stays below this): on this 2-core machine 10,000
 * minions take about 15 s, and a minion that gave up at 10 s went to the back of the queue. A
 * connect into a black hole also waits this long, so it is not longer still: after a network
 * partition heals, a minion stuck in such an attempt reconnects within this plus its backoff.
 */
const HANDSHAKE_TIMEOUT_MS = 20_000;

/**
 * The TLS context a minion connects with; make one per process and share it. Without it each
 * connect builds its own (loading the system CA store it never uses, as the master's certificate
 * is pinned through the signed challenge instead): measured in a 5,000-minion swarm, 13 % of its
 * connect-time CPU.
 */
export function createTlsContext(): SecureContext {
  return createSecureContext({ minVersion: 'TLSv1.2' });
}

/** An authenticated session with the master. */
export interface Session {
  send(frame: FrameInput): boolean;
  /** The master's verified public key and its fingerprint. */
  masterPub: Uint8Array;
  masterFingerprint: string;
}

/**
 * The minion's link to its master: connects, runs the handshake (proves its key, checks the
 * master's signature and pinned key, binds both to the TLS certificate), and reconnects with
 * exponential backoff and full jitter after any drop. A master that misses two heartbeat
 * intervals is treated as dead.
 */
export class MasterConnection {
  readonly #o: ConnectionOptions;
  readonly #masters: MasterList;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #stopped = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #deadTimer: NodeJS.Timeout | undefined;
  #session: Session | undefined;
  #retryAfterMs: number | undefined;
  /** The master's challenge nonce of the current connection, and the last grains update's number. */
  #masterNonce: Uint8Array | undefined;
  #grainsSeq = 0;

  constructor(options: ConnectionOptions) {
    this.#o = options;
    this.#masters = new MasterList(options.urls ?? [options.url], options.order ?? 'failover', options.random);
  }

  /** Starts connecting after `splayMs` (a random start-up delay spreads a fleet's first connects). */
  start(splayMs = 0): void {
    this.#schedule(Math.floor((this.#o.random ?? Math.random)() * splayMs));
  }

  /** Sends a frame in the current session; false when not connected. */
  send(frame: FrameInput): boolean {
    return this.#session?.send(frame) ?? false;
  }

  /**
   * Sends fresh grains in the current session, signed with the minion's key over the session's
   * master nonce and the next sequence number (issue #13); false when not connected.
   */
  sendGrains(grains: Record<string, unknown>): boolean {
    if (!this.#session || !this.#masterNonce) return false;
    const seq = ++this.#grainsSeq;
    const sig = signBytes(
      this.#o.privateKey,
      grainsUpdateTranscript({ id: this.#o.id, masterNonce: this.#masterNonce, seq, grains }),
    );
    return this.#session.send({ type: 'grains.update', grains, seq, sig });
  }

  get connected(): boolean {
    return this.#session !== undefined;
  }

  /** Closes and stops reconnecting. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#deadTimer);
    this.#ws?.close(1001, 'shutdown');
    this.#ws?.terminate();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
  }

  #connect(): void {
    const o = this.#o;
    const log = o.log;
    const nonce = randomBytes(32);
    let certFp = '';
    let state: 'challenge' | 'welcome' | 'ready' = 'challenge';
    const url = this.#masters.current;
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: o.maxFrameBytes,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      // The master's certificate is self-signed; it is pinned below through the signed challenge.
      rejectUnauthorized: false,
      ...(url.startsWith('wss:') ? { secureContext: (o.tlsContext ??= createTlsContext()) } : {}),
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    });
    this.#ws = ws;
    const fail = (code: string, message: string) => {
      log.warn({ code }, message);
      ws.terminate();
    };
    ws.on('upgrade', (res) => {
      const socket = res.socket as TLSSocket;
      // The DER bytes only: getPeerCertificate() would also build an object of every field.
      const cert = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
      if (cert) certFp = fingerprint(cert.raw);
    });
    ws.on('open', () => {
      ws.send(encodeFrame({ type: 'hello', id: o.id, pub: o.publicRaw, nonce, version: o.version }));
      this.#armDeadTimer(15_000);
    });
    ws.on('ping', () => this.#armDeadTimer());
    ws.on('error', (err) => log.debug({ err: err.message }, 'connection error'));
    ws.on('close', () => {
      clearTimeout(this.#deadTimer);
      const wasReady = this.#session !== undefined;
      this.#session = undefined;
      if (this.#ws === ws) this.#ws = undefined;
      if (wasReady) {
        log.info('disconnected from master');
        o.onClosed?.();
      }
      if (this.#stopped) return;
      // The next attempt goes to the next master (the same one when there is only one).
      this.#masters.advance();
      const delay = this.#retryAfterMs ?? backoffDelayMs(this.#attempt++, o.backoff, o.random ?? Math.random);
      this.#retryAfterMs = undefined;
      this.#schedule(delay);
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return fail(ErrorCode.FRAME_MALFORMED, 'master sent a text frame');
      const decoded = o.decode
        ? o.decode(data as Buffer)
        : decodeFrame(data as Buffer, { maxFrameBytes: o.maxFrameBytes });
      if (!decoded.ok) return fail(decoded.error.code, 'master sent a bad frame');
      const frame = decoded.frame;
      if (frame.type === 'error') {
        log.warn({ code: frame.code }, 'master closed the connection');
        return;
      }
      if (frame.type === 'auth.refused') {
        // Before the master proved its key (the challenge), it is a stranger: it may slow the next
        // attempt only as much as ordinary backoff would, or an impostor could park the minion.
        const ceiling = state === 'challenge' ? o.backoff.capMs : 600_000;
        this.#retryAfterMs = Math.max(100, Math.min(frame.retryAfterMs, ceiling));
        log.warn({ code: frame.code, retryAfterMs: this.#retryAfterMs }, 'master refused authentication');
        ws.close();
        return;
      }
      if (state === 'challenge') {
        if (frame.type !== 'challenge')
          return fail(ErrorCode.FRAME_NOT_ALLOWED, `expected challenge, got ${frame.type}`);
        if (frame.certFp !== certFp)
          return fail(ErrorCode.MASTER_KEY_MISMATCH, 'master signed a different TLS certificate');
        const signed = transcript(SignContext.masterChallenge, [o.id, nonce, frame.nonce, certFp, o.publicRaw]);
        if (!verifyBytes(frame.masterPub, signed, frame.sig))
          return fail(ErrorCode.SIGNATURE_INVALID, 'master challenge signature invalid');
        const pinned = o.pin.check(frame.masterPub);
        if (!pinned.ok) {
          log.error(
            { expected: pinned.expected, got: pinned.got },
            'MASTER KEY MISMATCH: refusing this master; will retry',
          );
          return fail(ErrorCode.MASTER_KEY_MISMATCH, 'master key does not match the pinned key');
        }
        if (pinned.firstUse)
          log.warn(
            { fingerprint: fingerprint(frame.masterPub) },
            'TRUSTING MASTER KEY ON FIRST USE; pinned from now on',
          );
        const facts = {
          grains: o.grains(),
          running: o.running(),
          ...(o.enrollToken ? { enrollToken: o.enrollToken } : {}),
        };
        // The grains and running list are signed with the key, not left to TLS (issue #13).
        const sig = signBytes(
          o.privateKey,
          transcript(SignContext.minionAuth, [
            o.id,
            frame.nonce,
            nonce,
            frame.masterPub,
            certFp,
            authFactsDigest(facts),
          ]),
        );
        o.masterKey = { pub: frame.masterPub, fingerprint: fingerprint(frame.masterPub) };
        this.#masterNonce = frame.nonce;
        this.#grainsSeq = 0;
        ws.send(encodeFrame({ type: 'auth', sig, ...facts }));
        state = 'welcome';
        return;
      }
      if (state === 'welcome') {
        if (frame.type !== 'welcome') return fail(ErrorCode.FRAME_NOT_ALLOWED, `expected welcome, got ${frame.type}`);
        state = 'ready';
        this.#attempt = 0;
        this.#heartbeatMs = frame.heartbeatMs;
        this.#armDeadTimer();
        const master = o.masterKey!;
        const session: Session = {
          masterPub: master.pub,
          masterFingerprint: master.fingerprint,
          send: (f) => {
            if (ws.readyState !== WebSocket.OPEN || this.#session !== session) return false;
            ws.send(encodeFrame(f));
            return true;
          },
        };
        this.#session = session;
        log.info({ master: url }, 'connected to master');
        o.onReady(session);
        return;
      }
      o.onFrame(frame, this.#session!);
    });
  }

  #heartbeatMs = 15_000;

  /** A master that sends no ping for two heartbeat intervals (plus slack) is considered dead. */
  #armDeadTimer(ms = this.#heartbeatMs * 2 + 1000): void {
    clearTimeout(this.#deadTimer);
    this.#deadTimer = setTimeout(() => {
      this.#o.log.warn('master missed its heartbeats; reconnecting');
      this.#ws?.terminate();
    }, ms);
  }
}
