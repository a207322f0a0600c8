import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectGate, type ConnectGateOptions } from './connect-gate.js';

/** A stand-in for an accepted TCP socket: records how it ended. */
class FakeSocket extends EventEmitter {
  static #port = 40_000;
  destroyed = false;
  reset = false;
  readonly remotePort = FakeSocket.#port++;
  constructor(readonly remoteAddress = '10.0.0.1') {
    super();
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
  resetAndDestroy(): this {
    this.reset = true;
    return this.destroy();
  }
}

function setup(
  options: Pick<
    ConnectGateOptions,
    | 'maxHandshaking'
    | 'maxQueued'
    | 'maxHandshakingPerAddress'
    | 'maxPreauthPerAddress'
    | 'handshakeTimeoutMs'
    | 'staleMs'
  > & { maxWaitMs?: number },
) {
  let t = 0;
  const started: FakeSocket[] = [];
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const gate = new ConnectGate({
    ...options,
    maxWaitMs: options.maxWaitMs ?? 8000,
    now: () => t,
    handOff: (s) => started.push(s as unknown as FakeSocket),
    setTimer: (fn, ms) => {
      const timer = { at: t + ms, fn, cancelled: false };
      timers.push(timer);
      return () => void (timer.cancelled = true);
    },
  });
  const accept = (address?: string) => {
    const s = new FakeSocket(address);
    gate.accept(s as unknown as Socket);
    return s;
  };
  const advance = (ms: number) => {
    t += ms;
    for (const timer of timers.filter((x) => !x.cancelled && x.at <= t)) {
      timer.cancelled = true;
      timer.fn();
    }
  };
  return { gate, started, accept, advance, pendingTimers: () => timers.filter((x) => !x.cancelled).length };
}

describe('ConnectGate', () => {
  it('hands off up to the cap, then holds sockets in arrival order', () => {
    const { gate, started, accept } = setup({ maxHandshaking: 2, maxQueued: 10 });
    const [a, b, c, d] = [accept(), accept(), accept(), accept()];
    expect(started).toEqual([a, b]);
    expect(gate.queued).toBe(2);
    expect(gate.handshaking).toBe(2);
    gate.authenticated(a); // a finished its handshake: one slot frees, c goes first
    expect(started).toEqual([a, b, c]);
    b.destroy(); // b failed its handshake: its slot frees too
    expect(started).toEqual([a, b, c, d]);
    expect(gate.queued).toBe(0);
    expect(c.destroyed || d.destroyed).toBe(false);
  });

  it('an authenticated connection that closes frees no handshake slot', () => {
    const { gate, started, accept } = setup({ maxHandshaking: 1, maxQueued: 10 });
    const a = accept();
    accept();
    gate.authenticated(a);
    expect(started).toHaveLength(2);
    accept(); // waits: the second is still in its handshake
    a.destroy();
    expect(started).toHaveLength(2);
    expect(gate.queued).toBe(1);
  });

  it('resets a connection when the queue is full, before any TLS', () => {
    const { gate, started, accept } = setup({ maxHandshaking: 1, maxQueued: 1 });
    accept();
    const waiting = accept();
    const extra = accept();
    expect(extra.reset).toBe(true);
    expect(waiting.destroyed).toBe(false);
    expect(started).toHaveLength(1);
    expect(gate.resets).toBe(1);
  });

  it('resets a connection that waited past maxWaitMs instead of starting it', () => {
    const { gate, started, accept, advance } = setup({ maxHandshaking: 1, maxQueued: 10, maxWaitMs: 1000 });
    const first = accept();
    const stale = accept();
    advance(500);
    const fresh = accept();
    advance(600);
    first.destroy();
    expect(stale.reset).toBe(true);
    expect(started.at(-1)).toBe(fresh);
    expect(gate.resets).toBe(1);
  });

  it('skips sockets that closed while waiting', () => {
    const { started, accept } = setup({ maxHandshaking: 1, maxQueued: 10 });
    const first = accept();
    const gone = accept();
    const next = accept();
    gone.destroy();
    first.destroy();
    expect(started).toEqual([first, next]);
  });

  it('close() destroys waiting sockets and refuses new ones; destroyAll() ends started ones', () => {
    const { gate, accept } = setup({ maxHandshaking: 1, maxQueued: 10 });
    const running = accept();
    const waiting = accept();
    gate.close();
    expect(waiting.destroyed).toBe(true);
    expect(accept().destroyed).toBe(true);
    expect(running.destroyed).toBe(false);
    gate.destroyAll();
    expect(running.destroyed).toBe(true);
  });

  it('finds an authenticated connection by its peer address and port, and ignores unknown peers', () => {
    const { gate, accept } = setup({ maxHandshaking: 2, maxQueued: 10 });
    const a = accept();
    gate.authenticated({ remoteAddress: a.remoteAddress, remotePort: a.remotePort + 1000 });
    expect(gate.handshaking).toBe(1);
    gate.authenticated({ remoteAddress: a.remoteAddress, remotePort: a.remotePort });
    gate.authenticated({ remoteAddress: a.remoteAddress, remotePort: a.remotePort });
    expect(gate.handshaking).toBe(0);
  });

  it('resets a connection that has not authenticated handshakeTimeoutMs after its slot, and frees the slot', () => {
    const { gate, started, accept, advance, pendingTimers } = setup({
      maxHandshaking: 1,
      maxQueued: 10,
      maxWaitMs: 60_000,
      handshakeTimeoutMs: 10_000,
    });
    const idle = accept();
    const next = accept();
    advance(9_999);
    expect(idle.destroyed).toBe(false);
    advance(1);
    expect(idle.reset).toBe(true);
    expect(gate.timeouts).toBe(1);
    expect(started).toEqual([idle, next]);
    gate.authenticated(next);
    expect(pendingTimers()).toBe(0);
    advance(20_000);
    expect(next.destroyed).toBe(false);
  });

  it('lets one address hold at most maxHandshakingPerAddress slots while another starts at once', () => {
    const { gate, started, accept } = setup({ maxHandshaking: 4, maxQueued: 100, maxHandshakingPerAddress: 2 });
    const flood = Array.from({ length: 10 }, () => accept('10.6.6.6'));
    expect(started).toEqual(flood.slice(0, 2));
    const minion = accept('10.0.0.2');
    expect(started.at(-1)).toBe(minion);
    expect(gate.queued).toBe(8);
  });

  it('serves waiting connections address by address in turn', () => {
    const { gate, started, accept } = setup({ maxHandshaking: 1, maxQueued: 100 });
    const first = accept('10.6.6.6');
    const flood = Array.from({ length: 5 }, () => accept('10.6.6.6'));
    const other = accept('10.0.0.2');
    // 10.6.6.6 has had its turn: 10.0.0.2 goes next, then 10.6.6.6 again.
    gate.authenticated(first);
    expect(started.at(-1)).toBe(other);
    gate.authenticated(other);
    expect(started.at(-1)).toBe(flood[0]);
  });

  it('resets connections from one address beyond maxPreauthPerAddress, and admits it again as they finish', () => {
    const { gate, accept } = setup({ maxHandshaking: 1, maxQueued: 100, maxPreauthPerAddress: 3 });
    const [a, b, c] = [accept('10.6.6.6'), accept('10.6.6.6'), accept('10.6.6.6')];
    const over = accept('10.6.6.6');
    expect(over.reset).toBe(true);
    expect(accept('10.0.0.2').destroyed).toBe(false);
    gate.authenticated(a);
    b.destroy();
    expect([accept('10.6.6.6'), accept('10.6.6.6')].map((s) => s.destroyed)).toEqual([false, false]);
    expect(accept('10.6.6.6').reset).toBe(true);
    expect(c.destroyed).toBe(false);
    expect(gate.resets).toBe(2);
  });

  it('starts the newest waiting connection first once the oldest has waited past staleMs', () => {
    const { gate, started, accept, advance } = setup({ maxHandshaking: 1, maxQueued: 10, staleMs: 1000 });
    const a = accept();
    const [b, c] = [accept(), accept()];
    advance(500);
    const d = accept();
    advance(100);
    gate.authenticated(a); // b waited 600 ms: in order
    expect(started.at(-1)).toBe(b);
    advance(900);
    gate.authenticated(b); // c waited 1,500 ms: the newest goes first
    expect(started.at(-1)).toBe(d);
    const e = accept();
    gate.authenticated(d);
    expect(started.at(-1)).toBe(e);
    gate.authenticated(e); // c, the last one left, in the end
    expect(started.at(-1)).toBe(c);
    expect(gate.resets).toBe(0);
  });

  it('resets the connections at the head that waited past maxWaitMs while it serves the newest', () => {
    const { gate, started, accept, advance } = setup({ maxHandshaking: 1, maxQueued: 10, maxWaitMs: 3000 });
    const a = accept();
    const old = [accept(), accept()];
    advance(3001);
    const fresh = accept();
    gate.authenticated(a);
    expect(old.map((s) => s.reset)).toEqual([true, true]);
    expect(started.at(-1)).toBe(fresh);
    expect([gate.resets, gate.queued]).toEqual([2, 0]);
  });

  it('under a standing queue, starts connections that waited little, and resets the oldest', () => {
    // Minions arrive every 50 ms, a handshake takes 100 ms: the line grows without end.
    const { gate, started, accept, advance } = setup({
      maxHandshaking: 1,
      maxQueued: 10_000,
      maxWaitMs: 6000,
      staleMs: 2000,
    });
    const acceptedAt = new Map<unknown, number>();
    const waits: number[] = [];
    let t = 0;
    for (let step = 0; step < 400; step++) {
      acceptedAt.set(accept(), t);
      if (step % 2 === 1) {
        const running = started.at(-1)!;
        gate.authenticated(running);
        waits.push(t - acceptedAt.get(started.at(-1))!);
      }
      advance(50);
      t += 50;
    }
    const late = waits.slice(100).sort((x, y) => x - y);
    // In arrival order every start after the first seconds would have waited close to 6 s.
    expect(late[Math.floor(late.length * 0.9)]).toBeLessThanOrEqual(2000);
    expect(gate.resets).toBeGreaterThan(0);
  });
});
