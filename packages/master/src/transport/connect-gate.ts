import type { Socket } from 'node:net';
import { Deque } from './deque.js';

/** Options for {@link ConnectGate}. */
export interface ConnectGateOptions {
  /** Connections allowed in the TLS and Brine handshakes at once. */
  maxHandshaking: number;
  /** Of those, connections from one source address at most. @default maxHandshaking */
  maxHandshakingPerAddress?: number;
  /** Connections from one source address between accept and authentication (waiting included). @default Infinity */
  maxPreauthPerAddress?: number;
  /** Accepted connections allowed to wait for a handshake slot; the excess is reset. */
  maxQueued: number;
  /** A connection that waited longer than this is reset instead of started: its minion gave up. */
  maxWaitMs: number;
  /**
   * When the oldest waiting connection of an address has waited longer than this, that address's
   * newest is started first (adaptive LIFO), so a standing queue does not start only connections
   * whose minion is about to give up. @default maxWaitMs / 3
   */
  staleMs?: number;
  /** A started connection not authenticated this long after it got its slot is reset. @default Infinity */
  handshakeTimeoutMs?: number;
  /** Starts the TLS (or HTTP) handshake on an accepted socket. */
  handOff(socket: Socket): void;
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. @default setTimeout, unref'd */
  setTimer?(fn: () => void, ms: number): () => void;
}

/** What the gate needs to know of an authenticated connection: its TCP peer (the TLS socket's is the same). */
export interface PeerOf {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

type EntryState = 'queued' | 'started' | 'authenticated' | 'leaving' | 'gone';

interface Entry {
  socket: Socket;
  peer: Peer;
  /** `address|port`: how an authenticated TLS socket finds the TCP socket under it. */
  key: string;
  at: number;
  state: EntryState;
  cancelTimer?: () => void;
}

/** One source address: its waiting connections and its counts. */
interface Peer {
  address: string;
  queue: Deque<Entry>;
  /** Live entries in `queue`. */
  queued: number;
  handshaking: number;
  /** Queued plus handshaking. */
  preauth: number;
  /** In the round-robin ring of addresses that may start a connection now. */
  inRing: boolean;
}

/**
 * Admission at accept, before TLS. A TLS handshake is the most expensive thing a master does for
 * a minion, and a minion refused after it (busy, over the cap) has wasted one on both sides:
 * with a cap applied after the handshake, 3,000 of 5,000 swarm minions connecting at once were
 * refused once each. So accepted sockets are held, unread, until fewer than `maxHandshaking`
 * connections are between accept and authentication, and only then handed to TLS. Beyond
 * `maxQueued` waiting, a connection is reset at once (a few microseconds, no TLS), and the
 * minion's backoff with full jitter spreads it out.
 *
 * One peer cannot hold the door (issue 13 finding 4: 520 idle sockets that never started TLS held
 * all 500 slots for Node's 120 s TLS timeout, and no minion could reconnect):
 * - a started connection that has not authenticated `handshakeTimeoutMs` after it got its slot
 *   is reset, whatever stage it is at (TLS, upgrade request, Brine handshake);
 * - one source address holds at most `maxHandshakingPerAddress` slots and has at most
 *   `maxPreauthPerAddress` connections between accept and authentication (the excess is reset);
 * - waiting connections are served address by address in turn, so a long line from one address
 *   does not delay the first connection of another.
 *
 * A standing queue is served newest first (issue #15): in arrival order, every connection started
 * had waited nearly `maxWaitMs`, so once the connect phase outlasted it each start went to a minion
 * about to give up (its handshake wasted) and each reset one came back at the end of the line, to
 * wait the whole queue again (10,000 minions took 16,000 handshakes). Served newest first once the
 * oldest waited `staleMs`, a started connection has waited little and a retried one is served
 * soon; the oldest are reset at `maxWaitMs`, at their address's turn, and retry.
 *
 * An authenticated connection is found by its TCP peer (address and port), which a TLS socket
 * shares with the TCP socket under it.
 */
export class ConnectGate {
  readonly #o: Required<ConnectGateOptions>;
  readonly #peers = new Map<string, Peer>();
  /** Addresses with waiting connections and a free slot of their own, in turn. */
  readonly #ring = new Deque<Peer>();
  /** Started, not yet authenticated connections by `address|port`. */
  readonly #starting = new Map<string, Entry>();
  /** Every socket handed off and still open. */
  readonly #open = new Set<Socket>();
  #queued = 0;
  #handshaking = 0;
  #resets = 0;
  #timeouts = 0;
  #closed = false;

  constructor(options: ConnectGateOptions) {
    this.#o = {
      maxHandshakingPerAddress: options.maxHandshaking,
      maxPreauthPerAddress: Number.POSITIVE_INFINITY,
      handshakeTimeoutMs: Number.POSITIVE_INFINITY,
      staleMs: options.maxWaitMs / 3,
      setTimer: (fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      },
      ...options,
    };
  }

  /** A socket fresh from accept (paused: nothing is read until it is handed off). */
  accept(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    socket.on('error', () => {});
    const o = this.#o;
    const address = socket.remoteAddress ?? '';
    const known = this.#peers.get(address);
    const mayStart = this.#handshaking < o.maxHandshaking && (known?.handshaking ?? 0) < o.maxHandshakingPerAddress;
    if ((known?.preauth ?? 0) >= o.maxPreauthPerAddress || (!mayStart && this.#queued >= o.maxQueued))
      return this.#reset(socket);
    const peer = known ?? this.#newPeer(address);
    const entry: Entry = {
      socket,
      peer,
      key: `${address}|${socket.remotePort ?? ''}`,
      at: o.now(),
      state: 'queued',
    };
    peer.preauth++;
    socket.once('close', () => this.#gone(entry));
    // Through the line even when a slot is free: it may be another address's turn.
    peer.queue.push(entry);
    peer.queued++;
    this.#queued++;
    this.#offer(peer);
    this.#pump();
  }

  /** A connection finished authenticating: it no longer holds a handshake slot. */
  authenticated(peer: PeerOf): void {
    const entry = this.#starting.get(`${peer.remoteAddress ?? ''}|${peer.remotePort ?? ''}`);
    if (!entry || entry.state !== 'started') return;
    entry.state = 'authenticated';
    this.#leaveHandshake(entry);
    this.#pump();
  }

  /** Connections waiting for a slot. */
  get queued(): number {
    return this.#queued;
  }

  /** Connections between hand-off and authentication. */
  get handshaking(): number {
    return this.#handshaking;
  }

  /** Connections reset at accept so far (over a cap, queue full, waited too long). */
  get resets(): number {
    return this.#resets;
  }

  /** Connections reset because they did not authenticate within `handshakeTimeoutMs`. */
  get timeouts(): number {
    return this.#timeouts;
  }

  /** Source addresses with connections between accept and authentication. */
  get addresses(): number {
    return this.#peers.size;
  }

  /** Stops admitting; waiting sockets are destroyed. */
  close(): void {
    this.#closed = true;
    for (const peer of this.#peers.values())
      for (const entry of peer.queue.drain()) if (entry.state === 'queued') entry.socket.destroy();
  }

  /** Destroys every socket handed off and still open (the end of a shutdown). */
  destroyAll(): void {
    for (const socket of this.#open) socket.destroy();
  }

  #newPeer(address: string): Peer {
    const peer: Peer = { address, queue: new Deque(), queued: 0, handshaking: 0, preauth: 0, inRing: false };
    this.#peers.set(address, peer);
    return peer;
  }

  #start(entry: Entry): void {
    entry.state = 'started';
    entry.peer.handshaking++;
    this.#handshaking++;
    this.#starting.set(entry.key, entry);
    this.#open.add(entry.socket);
    if (Number.isFinite(this.#o.handshakeTimeoutMs))
      entry.cancelTimer = this.#o.setTimer(() => {
        if (entry.state !== 'started') return;
        this.#timeouts++;
        this.#reset(entry.socket);
      }, this.#o.handshakeTimeoutMs);
    this.#o.handOff(entry.socket);
  }

  /** A started connection authenticated or closed: its slot and its pre-auth place free. */
  #leaveHandshake(entry: Entry): void {
    entry.cancelTimer?.();
    // Only its own: a socket closed before accept has no peer, and such keys may repeat.
    if (this.#starting.get(entry.key) === entry) this.#starting.delete(entry.key);
    this.#handshaking--;
    entry.peer.handshaking--;
    entry.peer.preauth--;
    this.#offer(entry.peer);
    this.#forgetIfIdle(entry.peer);
  }

  /** The socket closed, at whatever stage. */
  #gone(entry: Entry): void {
    const was = entry.state;
    entry.state = 'gone';
    this.#open.delete(entry.socket);
    if (was === 'started') this.#leaveHandshake(entry);
    else if (was === 'queued' || was === 'leaving') {
      if (was === 'queued') {
        entry.peer.queued--;
        this.#queued--;
      }
      entry.peer.preauth--;
      this.#forgetIfIdle(entry.peer);
    }
    this.#pump();
  }

  /** Puts an address in the ring when it has a connection waiting and a slot of its own free. */
  #offer(peer: Peer): void {
    if (peer.inRing || peer.queued === 0 || peer.handshaking >= this.#o.maxHandshakingPerAddress) return;
    peer.inRing = true;
    this.#ring.push(peer);
  }

  #forgetIfIdle(peer: Peer): void {
    if (peer.preauth === 0 && !peer.inRing) this.#peers.delete(peer.address);
  }

  #reset(socket: Socket): void {
    this.#resets++;
    // A reset, not a FIN: the master keeps no TIME_WAIT entry for a connection it never served.
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }

  #pump(): void {
    while (this.#handshaking < this.#o.maxHandshaking) {
      const peer = this.#ring.shift();
      if (!peer) return;
      peer.inRing = false;
      const entry = this.#nextQueued(peer);
      if (entry) {
        peer.queued--;
        this.#queued--;
        if (entry.socket.destroyed) entry.state = 'leaving';
        else this.#start(entry);
      }
      this.#offer(peer);
      this.#forgetIfIdle(peer);
    }
  }

  /**
   * The connection of `peer` to start now: the oldest, or the newest once the oldest waited over
   * `staleMs`. Those at the head that waited over `maxWaitMs` are reset on the way.
   */
  #nextQueued(peer: Peer): Entry | undefined {
    const o = this.#o;
    const now = o.now();
    const queue = peer.queue;
    for (let head = queue.first(); head; head = queue.first()) {
      if (head.state === 'queued' && now - head.at <= o.maxWaitMs) break;
      queue.shift();
      if (head.state === 'queued') this.#expire(head);
    }
    const head = queue.first();
    if (!head) return undefined;
    if (now - head.at <= o.staleMs) return queue.shift();
    for (let e = queue.pop(); e; e = queue.pop()) if (e.state === 'queued') return e;
    return undefined;
  }

  /** Resets a waiting connection that waited too long (counts first: a reset may close at once). */
  #expire(entry: Entry): void {
    entry.state = 'leaving';
    entry.peer.queued--;
    this.#queued--;
    this.#reset(entry.socket);
  }
}
