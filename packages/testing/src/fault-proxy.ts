import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does to traffic now. */
export type FaultMode =
  /** Forward both ways. */
  | 'pass'
  /** Stop reading both sides; data waits in kernel buffers, then backs up. */
  | 'pause'
  /** Read and discard both ways, never close: a peer that vanished without FIN or RST. */
  | 'blackhole'
  /** Close every connection with FIN and refuse new ones. */
  | 'drop'
  /** Close every connection with RST and refuse new ones. */
  | 'reset'
  /** Forward both ways after `delayMs`. */
  | 'delay';

interface Pair {
  client: Socket;
  upstream: Socket;
  /** One side closed while partitioned: the other side must not hear of it until the partition heals. */
  halfDead?: boolean;
}

/**
 * A TCP proxy between minions and the master for fault-injection tests: pass, pause, blackhole,
 * drop, delay and reset, switchable at any time for every connection through it.
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #pairs = new Set<Pair>();
  #mode: FaultMode = 'pass';
  delayMs = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Starts listening on a free loopback port. */
  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this;
  }

  get mode(): FaultMode {
    return this.#mode;
  }

  /** Switches every current and future connection to `mode`. */
  setMode(mode: FaultMode): void {
    this.#mode = mode;
    for (const pair of [...this.#pairs]) {
      if (mode === 'drop') this.#close(pair, false);
      else if (mode === 'reset') this.#close(pair, true);
      else if (mode === 'pause') {
        pair.client.pause();
        pair.upstream.pause();
      } else if (mode === 'pass' && pair.halfDead) {
        // The partition healed: the survivor learns that its peer is gone, as TCP would say with RST.
        this.#close(pair, true);
      } else {
        pair.client.resume();
        pair.upstream.resume();
      }
    }
  }

  /** Number of live connection pairs. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    for (const pair of [...this.#pairs]) this.#close(pair, true);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#mode === 'drop' || this.#mode === 'reset') {
      if (this.#mode === 'reset') client.resetAndDestroy();
      else client.end();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair: Pair = { client, upstream };
    this.#pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (this.#mode === 'blackhole') return;
        if (this.#mode === 'delay' && this.delayMs > 0) {
          setTimeout(() => to.writable && to.write(chunk), this.delayMs);
          return;
        }
        if (to.writable) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    // While partitioned, a close on one side must not reach the other (no FIN, no RST crosses).
    const end = (reset: boolean) => {
      if (this.#mode === 'blackhole' || this.#mode === 'pause') pair.halfDead = true;
      else this.#close(pair, reset);
    };
    for (const s of [client, upstream]) {
      s.on('error', () => end(true));
      s.on('close', () => end(false));
    }
    if (this.#mode === 'pause') {
      client.pause();
      upstream.pause();
    }
  }

  #close(pair: Pair, reset: boolean): void {
    if (!this.#pairs.delete(pair)) return;
    for (const s of [pair.client, pair.upstream]) {
      if (s.destroyed) continue;
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  }
}

/** Starts a fault proxy to `target` on a free loopback port. */
export function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  return new FaultProxy(target).listen();
}
