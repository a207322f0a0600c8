import type { Socket } from 'node:net';

/** Options for {@link ConnectGate}. */
export interface ConnectGateOptions {
  /** Connections allowed in the TLS and Brine handshakes at once. */
  maxHandshaking: number;
  /** Accepted connections allowed to wait for a handshake slot; the excess is reset. */
  maxQueued: number;
  /** A connection that waited longer than this is reset instead of started: its minion gave up. */
  maxWaitMs: number;
  /** Starts the TLS (or HTTP) handshake on an accepted socket. */
  handOff(socket: Socket): void;
  now(): number;
}

/**
 * Admission at accept, before TLS. A TLS handshake is the most expensive thing a master does for
 * a minion, and a minion refused after it (busy, over the cap) has wasted one on both sides:
 * with a cap applied after the handshake, 3,000 of 5,000 swarm minions connecting at once were
 * refused once each. So accepted sockets are held, unread, in a FIFO until fewer than
 * `maxHandshaking` connections are between accept and authentication, and only then handed to
 * TLS. Beyond `maxQueued` waiting, a connection is reset at once (a few microseconds, no TLS), and
 * the minion's backoff with full jitter spreads it out.
 *
 * "In the handshake" is counted as connections open minus connections authenticated, so the gate
 * needs no link from a TLS socket back to the TCP socket under it.
 */
export class ConnectGate {
  readonly #o: ConnectGateOptions;
  readonly #queue: { socket: Socket; at: number }[] = [];
  readonly #started = new Set<Socket>();
  #head = 0;
  #open = 0;
  #authenticated = 0;
  #resets = 0;
  #closed = false;

  constructor(options: ConnectGateOptions) {
    this.#o = options;
  }

  /** A socket fresh from accept (paused: nothing is read until it is handed off). */
  accept(socket: Socket): void {
    if (this.#closed) return void socket.destroy();
    socket.on('error', () => {});
    if (this.#handshaking < this.#o.maxHandshaking && this.queued === 0) return this.#start(socket);
    if (this.queued >= this.#o.maxQueued) return this.#reset(socket);
    this.#queue.push({ socket, at: this.#o.now() });
  }

  /** A connection finished authenticating: it no longer holds a handshake slot. */
  authenticated(): void {
    this.#authenticated++;
    this.#pump();
  }

  /** An authenticated connection closed. */
  authenticatedClosed(): void {
    this.#authenticated--;
  }

  /** Connections waiting for a slot. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Connections between hand-off and authentication. */
  get handshaking(): number {
    return this.#handshaking;
  }

  /** Connections reset at accept so far (queue full or waited too long). */
  get resets(): number {
    return this.#resets;
  }

  /** Stops admitting; waiting sockets are destroyed. */
  close(): void {
    this.#closed = true;
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i]!.socket.destroy();
    this.#queue.length = 0;
    this.#head = 0;
  }

  /** Destroys every socket handed off and still open (the end of a shutdown). */
  destroyAll(): void {
    for (const socket of this.#started) socket.destroy();
  }

  get #handshaking(): number {
    return this.#open - this.#authenticated;
  }

  #start(socket: Socket): void {
    this.#open++;
    this.#started.add(socket);
    socket.once('close', () => {
      this.#open--;
      this.#started.delete(socket);
      this.#pump();
    });
    this.#o.handOff(socket);
  }

  #reset(socket: Socket): void {
    this.#resets++;
    // A reset, not a FIN: the master keeps no TIME_WAIT entry for a connection it never served.
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }

  #pump(): void {
    const o = this.#o;
    while (this.#handshaking < o.maxHandshaking && this.queued > 0) {
      const { socket, at } = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      if (socket.destroyed) continue;
      if (o.now() - at > o.maxWaitMs) this.#reset(socket);
      else this.#start(socket);
    }
  }
}
