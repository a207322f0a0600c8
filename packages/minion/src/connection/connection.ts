import { randomBytes, type KeyObject } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import WebSocket, { type ClientOptions } from 'ws';
import {
  ErrorCode,
  decodeFrame,
  encodeFrame,
  fingerprint,
  minionHandshake,
  stepMinion,
  type DecodeResult,
  type Frame,
  type FrameInput,
  type MinionHandshakeEvent,
  type MinionHandshakeOutput,
} from '@brine/protocol';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { dialWithDeadline } from './connect-deadline.js';
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
 * How long a TCP connect may take. A connect into a black hole waits this long, so it is not
 * longer still: after a network partition heals, a minion stuck in such an attempt reconnects
 * within this plus its backoff.
 */
const CONNECT_TIMEOUT_MS = 20_000;

/**
 * How long the master may stay silent once it accepted the TCP connection (ws's handshake
 * timeout: an idle timeout, up to the WebSocket upgrade). A master that comes back to a whole
 * fleet holds the excess connections at accept until it has handshake capacity (its
 * `connect_queue_wait_ms`, 45 s by default, stays below this). At 20 s, once a fleet's connect
 * outlasted it, minions gave up in line, went to its end and waited again (issue #15: 16,000
 * handshakes for 10,000 minions, against 10,000 when both sides waited longer).
 */
const HANDSHAKE_TIMEOUT_MS = 60_000;

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
 * The minion's link to its master: connects, runs the handshake through protocol's machine
 * (`stepMinion`: proves its key, checks the master's signature and pinned key, binds both to the
 * TLS certificate) and performs what it says, and reconnects with
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
  /** Feeds the current connection's handshake machine; true when it sent a frame. */
  #handshake: ((event: MinionHandshakeEvent) => boolean) | undefined;

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
    if (!this.#session || !this.#handshake) return false;
    return this.#handshake({ type: 'send-grains', grains });
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
    let certFp = '';
    let hs = minionHandshake({
      id: o.id,
      privateKey: o.privateKey,
      publicRaw: o.publicRaw,
      nonce: randomBytes(32),
      version: o.version,
      backoffCapMs: o.backoff.capMs,
    });
    const url = this.#masters.current;
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      maxPayload: o.maxFrameBytes,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      createConnection: dialWithDeadline(
        url.startsWith('wss:'),
        CONNECT_TIMEOUT_MS,
      ) as unknown as ClientOptions['createConnection'],
      // The master's certificate is self-signed; it is pinned through the signed challenge.
      rejectUnauthorized: false,
      ...(url.startsWith('wss:') ? { secureContext: (o.tlsContext ??= createTlsContext()) } : {}),
      ...(o.localAddress ? { localAddress: o.localAddress } : {}),
    });
    this.#ws = ws;
    // Feeds protocol's handshake machine and performs what it says; true when a frame was sent.
    const feed = (event: MinionHandshakeEvent): boolean => {
      const step = stepMinion(hs, event);
      hs = step.state;
      let sent = false;
      for (const out of step.outputs) sent = perform(out) || sent;
      return sent;
    };
    const perform = (out: MinionHandshakeOutput): boolean => {
      switch (out.type) {
        case 'send':
          if (ws.readyState !== WebSocket.OPEN) return false;
          ws.send(encodeFrame(out.frame));
          return true;
        case 'check-pin': {
          const pin = o.pin.check(out.masterPub);
          const facts = {
            grains: o.grains(),
            running: o.running(),
            ...(o.enrollToken ? { enrollToken: o.enrollToken } : {}),
          };
          return feed({ type: 'pinned', pin, facts });
        }
        case 'trusted':
          o.masterKey = { pub: out.masterPub, fingerprint: out.fingerprint };
          return false;
        case 'ready':
          this.#ready(ws, url, out.heartbeatMs);
          return false;
        case 'deliver':
          o.onFrame(out.frame, this.#session!);
          return false;
        case 'retry-after':
          this.#retryAfterMs = out.ms;
          return false;
        case 'close':
          ws.close();
          return false;
        case 'fail':
          log.warn({ code: out.code }, out.message);
          ws.terminate();
          return false;
        case 'log':
          log[out.level](out.fields, out.msg);
          return false;
      }
    };
    this.#handshake = feed;
    ws.on('upgrade', (res) => {
      const socket = res.socket as TLSSocket;
      // The DER bytes only: getPeerCertificate() would also build an object of every field.
      const cert = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
      if (cert) certFp = fingerprint(cert.raw);
    });
    ws.on('open', () => {
      feed({ type: 'open', certFp });
      this.#armDeadTimer(15_000);
    });
    ws.on('ping', () => this.#armDeadTimer());
    ws.on('error', (err) => log.debug({ err: err.message }, 'connection error'));
    ws.on('close', () => {
      clearTimeout(this.#deadTimer);
      const wasReady = this.#session !== undefined;
      this.#session = undefined;
      if (this.#ws === ws) this.#ws = undefined;
      if (this.#handshake === feed) this.#handshake = undefined;
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
      if (!isBinary)
        return void feed({ type: 'bad-frame', code: ErrorCode.FRAME_MALFORMED, message: 'master sent a text frame' });
      const decoded = o.decode
        ? o.decode(data as Buffer)
        : decodeFrame(data as Buffer, { maxFrameBytes: o.maxFrameBytes });
      feed(
        decoded.ok
          ? { type: 'frame', frame: decoded.frame }
          : { type: 'bad-frame', code: decoded.error.code, message: 'master sent a bad frame' },
      );
    });
  }

  /** Starts the authenticated session of `ws` after the master's `welcome`. */
  #ready(ws: WebSocket, url: string, heartbeatMs: number): void {
    const o = this.#o;
    this.#attempt = 0;
    this.#heartbeatMs = heartbeatMs;
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
    o.log.info({ master: url }, 'connected to master');
    o.onReady(session);
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
