import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectGate } from './connect-gate.js';

/** A stand-in for an accepted TCP socket: records how it ended. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  reset = false;
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

function setup(options: { maxHandshaking: number; maxQueued: number; maxWaitMs?: number }) {
  let t = 0;
  const started: FakeSocket[] = [];
  const gate = new ConnectGate({
    maxHandshaking: options.maxHandshaking,
    maxQueued: options.maxQueued,
    maxWaitMs: options.maxWaitMs ?? 8000,
    now: () => t,
    handOff: (s) => started.push(s as unknown as FakeSocket),
  });
  const accept = () => {
    const s = new FakeSocket();
    gate.accept(s as unknown as Socket);
    return s;
  };
  return { gate, started, accept, advance: (ms: number) => (t += ms) };
}

describe('ConnectGate', () => {
  it('hands off up to the cap, then holds sockets in arrival order', () => {
    const { gate, started, accept } = setup({ maxHandshaking: 2, maxQueued: 10 });
    const [a, b, c, d] = [accept(), accept(), accept(), accept()];
    expect(started).toEqual([a, b]);
    expect(gate.queued).toBe(2);
    expect(gate.handshaking).toBe(2);
    gate.authenticated(); // a finished its handshake: one slot frees, c goes first
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
    gate.authenticated();
    expect(started).toHaveLength(2);
    accept(); // waits: the second is still in its handshake
    gate.authenticatedClosed();
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
});
