import { randomBytes, type KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import {
  SignContext,
  authFactsDigest,
  grainsUpdateTranscript,
  decodeFrame,
  decodeValue,
  encodeFrame,
  generateKeyPair,
  loadKeyPair,
  signBytes,
  transcript,
  type AuthFacts,
  type Frame,
  type FrameInput,
  type FrameType,
} from '@brine/protocol';

/** An Ed25519 identity for a raw client. */
export interface RawKey {
  privateKey: KeyObject;
  publicRaw: Buffer;
}

/** Makes a fresh minion key. */
export function newKey(): RawKey {
  return loadKeyPair(generateKeyPair().privatePem);
}

/** How a connection ended. */
export interface Closed {
  code: number;
  reason: string;
  /** `performance.now()` when the close event fired. */
  at: number;
}

/**
 * One WebSocket connection to a master's minion port, driven frame by frame: it sends any bytes
 * it is given and records every frame it receives, decoded when the bytes decode.
 */
export class RawConnection {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  readonly #ws: WebSocket;
  readonly #waiters = new Set<() => void>();
  readonly #listeners = new Set<(frame: Frame, bytes: Buffer) => void>();
  #closedAt: Closed | undefined;
  #socket: Socket | undefined;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.#closedAt = { code, reason: reason.toString(), at: performance.now() };
        resolve(this.#closedAt);
        this.#wake();
      });
    });
    ws.on('error', () => {});
    ws.on('upgrade', (res) => (this.#socket = res.socket as Socket));
    ws.on('message', (data: Buffer) => {
      const decoded = decodeFrame(data, { maxFrameBytes: 64 * 1024 * 1024 });
      if (decoded.ok) {
        this.frames.push(decoded.frame);
        for (const l of this.#listeners) l(decoded.frame, data);
      }
      this.#wake();
    });
  }

  /** Opens a connection (from `localAddress`, e.g. another 127.x, when given); rejects when the upgrade fails. */
  static open(url: string, timeoutMs = 5000, localAddress?: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        ...(localAddress ? { localAddress } : {}),
        perMessageDeflate: false,
        rejectUnauthorized: false,
        handshakeTimeout: timeoutMs,
        maxPayload: 64 * 1024 * 1024,
      });
      const conn = new RawConnection(ws);
      ws.once('open', () => resolve(conn));
      ws.once('error', reject);
    });
  }

  /** Whether the WebSocket is open (sends are dropped otherwise). */
  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** The TCP (or TLS) socket under the WebSocket, to write bytes no WebSocket client would. */
  get socket(): Socket | undefined {
    return this.#socket;
  }

  /** Sends a frame (encoded here) or raw bytes as one binary message; a no-op once closed. */
  send(frame: FrameInput | Uint8Array, cb?: (err?: Error) => void): void {
    if (!this.isOpen) return cb?.(new Error('closed'));
    this.#ws.send(frame instanceof Uint8Array ? frame : encodeFrame(frame), { binary: true }, cb);
  }

  /**
   * Resolves with the first received frame, from index `from` on, that `match` accepts; with
   * `undefined` when the connection closes or `timeoutMs` passes first.
   */
  async next<T extends Frame = Frame>(
    match: (f: Frame) => f is T,
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<T | undefined> {
    const deadline = performance.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      const found = this.frames.slice(options.from ?? 0).find(match);
      if (found) return found;
      if (this.#closedAt || performance.now() >= deadline) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, deadline - performance.now()));
        this.#waiters.add(wake);
      });
    }
  }

  /** Calls `listener` with each decoded frame and its bytes, as it arrives. */
  onFrame(listener: (frame: Frame, bytes: Buffer) => void): void {
    this.#listeners.add(listener);
  }

  /** Closes politely. */
  close(): void {
    this.#ws.close(1000);
  }

  /** Drops the TCP connection. */
  terminate(): void {
    this.#ws.terminate();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/** A frame of one type. */
export type FrameOf<K extends FrameType> = Extract<Frame, { type: K }>;

/** A type guard for frames of one type. */
export function ofType<K extends FrameType>(type: K): (f: Frame) => f is FrameOf<K> {
  return (f): f is FrameOf<K> => f.type === type;
}

/** A type guard that accepts any frame: waits for the next frame of whatever type. */
export const anyFrame = (f: Frame): f is Frame => f !== undefined;

/** A frame that ends a handshake: `welcome`, `auth.refused` or `error`. */
const handshakeEnd = (f: Frame): f is Frame<'welcome' | 'auth.refused' | 'error'> =>
  f.type === 'welcome' || f.type === 'auth.refused' || f.type === 'error';

/** The frames a client sends in one handshake, built from the challenge it got. */
export interface HandshakeFrames {
  hello: Frame<'hello'>;
  challenge: Frame<'challenge'>;
  auth: Buffer;
}

/** What a handshake attempt ended with. */
export type HandshakeResult =
  | { ok: true; frames: HandshakeFrames }
  | { ok: false; code: string; retryAfterMs?: number; frames?: Partial<HandshakeFrames> };

/** Options for {@link handshake}. */
export interface HandshakeOptions {
  id: string;
  key: RawKey;
  grains?: Record<string, unknown>;
  running?: string[];
  /** The hello nonce. @default 32 random bytes */
  nonce?: Buffer;
  /** Rewrites the encoded hello before it is sent (bit flips). */
  tamperHello?: (bytes: Buffer) => Buffer;
  /**
   * The facts the auth signature covers, when they should differ from those sent (a man in the
   * middle who changed the grains in transit). @default the grains and running list sent
   */
  signedFacts?: AuthFacts;
  /** Rewrites the encoded auth before it is sent. */
  tamperAuth?: (bytes: Buffer) => Buffer;
  timeoutMs?: number;
  /** A one-time enrollment token to present in the auth frame. */
  enrollToken?: string;
}

/**
 * Runs the minion side of the handshake on an open connection: hello, then (on a challenge) an
 * auth signed over the transcript. The challenge is not checked: a hostile minion has no reason to.
 */
export async function handshake(conn: RawConnection, o: HandshakeOptions): Promise<HandshakeResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const hello: FrameInput<'hello'> = {
    type: 'hello',
    id: o.id,
    pub: o.key.publicRaw,
    nonce: o.nonce ?? randomBytes(32),
    version: 'raw-minion',
  };
  const from = conn.frames.length;
  const helloBytes = encodeFrame(hello);
  conn.send(o.tamperHello ? o.tamperHello(helloBytes) : helloBytes);
  const first = await conn.next((f): f is Frame => f.type === 'challenge' || handshakeEnd(f), { from, timeoutMs });
  if (!first) return { ok: false, code: 'closed' };
  if (first.type !== 'challenge') return refusal(first);
  const challenge = first as Frame<'challenge'>;
  const facts = {
    grains: o.grains ?? { id: o.id },
    running: o.running ?? [],
    ...(o.enrollToken === undefined ? {} : { enrollToken: o.enrollToken }),
  };
  const sig = signBytes(
    o.key.privateKey,
    transcript(SignContext.minionAuth, [
      o.id,
      challenge.nonce,
      hello.nonce,
      challenge.masterPub,
      challenge.certFp,
      authFactsDigest(o.signedFacts ?? facts),
    ]),
  );
  const auth = encodeFrame({ type: 'auth', sig, ...facts });
  const helloFrame = { v: 1, ...hello } as Frame<'hello'>;
  conn.send(o.tamperAuth ? o.tamperAuth(auth) : auth);
  const end = await conn.next(handshakeEnd, { from: from + 1, timeoutMs });
  if (!end) return { ok: false, code: 'closed', frames: { hello: helloFrame, challenge, auth } };
  if (end.type !== 'welcome') return { ...refusal(end), frames: { hello: helloFrame, challenge, auth } };
  return { ok: true, frames: { hello: helloFrame, challenge, auth } };
}

function refusal(f: Frame): HandshakeResult {
  if (f.type === 'auth.refused') return { ok: false, code: f.code, retryAfterMs: f.retryAfterMs };
  if (f.type === 'error') return { ok: false, code: f.code };
  return { ok: false, code: `unexpected ${f.type}` };
}

/** Options for {@link RawMinion}. */
export interface RawMinionOptions {
  url: string;
  id: string;
  key?: RawKey;
  grains?: Record<string, unknown>;
  /** Ack and return every job it is sent (`ret: true`), recording the return bytes. @default true */
  answerJobs?: boolean;
  /** Source address of its connections (another 127.x, to look like another host). */
  localAddress?: string;
  /** A one-time enrollment token to present at each handshake. */
  enrollToken?: string;
}

/**
 * A hostile minion speaking the protocol by hand: it authenticates with its own key (or any key
 * it is given), records every frame the master sends across all its connections, answers jobs
 * like a minion would while keeping the bytes, and can replay or forge anything.
 */
export class RawMinion {
  readonly id: string;
  readonly key: RawKey;
  /** Every frame received, across connections. */
  readonly received: Frame[] = [];
  /** The encoded `job.publish` frames received, byte for byte. */
  readonly publishes: Buffer[] = [];
  /** The encoded `job.return` frames sent in answer to jobs. */
  readonly returns: Buffer[] = [];
  /** How each handshake attempt ended: `welcome` or a refusal code. */
  readonly attempts: string[] = [];
  conn: RawConnection | undefined;
  readonly #o: RawMinionOptions;
  /** The master's challenge nonce of the current connection, and the last grains update's number. */
  #masterNonce: Uint8Array | undefined;
  #grainsSeq = 0;
  #stopped = false;
  #loop: Promise<void> | undefined;

  constructor(options: RawMinionOptions) {
    this.#o = options;
    this.id = options.id;
    this.key = options.key ?? newKey();
  }

  /** One connection and handshake; on `welcome` the connection stays open and jobs are answered. */
  async connect(): Promise<HandshakeResult> {
    const conn = await RawConnection.open(this.#o.url, 5000, this.#o.localAddress);
    this.conn = conn;
    conn.onFrame((frame, bytes) => this.#onFrame(conn, frame, bytes));
    const result = await handshake(conn, {
      id: this.id,
      key: this.key,
      grains: this.#o.grains ?? { id: this.id },
      ...(this.#o.enrollToken === undefined ? {} : { enrollToken: this.#o.enrollToken }),
    });
    this.attempts.push(result.ok ? 'welcome' : result.code);
    if (result.ok) {
      this.#masterNonce = result.frames.challenge.nonce;
      this.#grainsSeq = 0;
    }
    if (!result.ok) conn.terminate();
    return result;
  }

  /** Keeps connecting until stopped, waiting as the master says (or 200 ms) between attempts. */
  run(): void {
    this.#loop ??= (async () => {
      while (!this.#stopped) {
        let delay = 200;
        try {
          const r = await this.connect();
          if (r.ok) await this.conn!.closed;
          else if (r.retryAfterMs !== undefined) delay = Math.min(r.retryAfterMs, 1000);
        } catch {
          // The master is down or refused the upgrade: try again.
        }
        if (!this.#stopped) await new Promise((r) => setTimeout(r, delay));
      }
    })();
  }

  /** Stops reconnecting and closes the current connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.conn?.terminate();
    await this.#loop;
  }

  /**
   * A `grains.update` signed as a real minion signs it: this minion's key, the current session's
   * master nonce, and the next sequence number (or `seq`, to replay or reorder).
   */
  grainsUpdate(grains: Record<string, unknown>, seq = this.#grainsSeq + 1): FrameInput<'grains.update'> {
    if (!this.#masterNonce) throw new Error('not connected');
    this.#grainsSeq = Math.max(this.#grainsSeq, seq);
    const sig = signBytes(
      this.key.privateKey,
      grainsUpdateTranscript({ id: this.id, masterNonce: this.#masterNonce, seq, grains }),
    );
    return { type: 'grains.update', grains, seq, sig };
  }

  /** Frames of one type received so far. */
  ofType<K extends FrameType>(type: K): FrameOf<K>[] {
    return this.received.filter(ofType(type));
  }

  #onFrame(conn: RawConnection, frame: Frame, bytes: Buffer): void {
    this.received.push(frame);
    if (frame.type !== 'job.publish') return;
    this.publishes.push(Buffer.from(bytes));
    if (this.#o.answerJobs === false) return;
    const spec = decodeSpec(frame);
    if (!spec) return;
    conn.send({ type: 'job.ack', jid: spec.jid, attempt: spec.attempt, state: 'started' });
    const t = Date.now();
    const ret = encodeFrame({
      type: 'job.return',
      jid: spec.jid,
      attempt: spec.attempt,
      fun: spec.fun,
      outcome: 'returned',
      ret: true,
      retcode: 0,
      success: true,
      startedAt: t,
      endedAt: t + 1,
    });
    this.returns.push(ret);
    conn.send(ret);
  }
}

/** The jid, attempt and function of a published job, read without checking the signature. */
export function decodeSpec(frame: Frame<'job.publish'>): { jid: string; attempt: number; fun: string } | undefined {
  const decoded = decodeValue(frame.spec);
  if (!decoded.ok || typeof decoded.value !== 'object' || decoded.value === null) return undefined;
  const { jid, attempt, fun } = decoded.value as Record<string, unknown>;
  if (typeof jid !== 'string' || typeof attempt !== 'number' || typeof fun !== 'string') return undefined;
  return { jid, attempt, fun };
}
