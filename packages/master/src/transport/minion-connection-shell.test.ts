import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import pino from 'pino';
import {
  decodeFrame,
  encodeFrame,
  generateMemoryKeyPair,
  minionHandshake,
  stepMinion,
  type Frame,
  type FrameInput,
  type MinionHandshakeState,
} from '@brine/protocol';
import type { AdmitResult } from '../keys/key-store.js';
import { handleMinionSocket, type SocketDeps } from './minion-connection.js';

/** A socket that records what the master writes and lets the test play the minion. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly written: Frame[] = [];
  readonly closes: [number, string][] = [];
  send(bytes: Uint8Array): void {
    const d = decodeFrame(bytes);
    if (d.ok) this.written.push(d.frame);
  }
  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
  }
  terminate(): void {}
  receive(frame: FrameInput): void {
    this.emit('message', encodeFrame(frame), true);
  }
}

/** The master's dependencies, with an admission gate that counts its slots. */
function deps(admit: AdmitResult | Promise<AdmitResult>, busy = false) {
  const master = generateMemoryKeyPair();
  const slots = { entered: 0, left: 0 };
  const seen: string[] = [];
  const d = {
    identity: { privateKey: master.privateKey, publicRaw: master.publicRaw, fingerprint: 'fp', tls: {} },
    certFingerprint: '',
    admission: {
      enter: () => (busy ? { ok: false, retryAfterMs: 250 } : (slots.entered++, { ok: true })),
      leave: () => void slots.left++,
    },
    log: pino({ enabled: false }),
    admitKey: () => admit,
    onAuthenticated: (link: { id: string }) => seen.push(`authenticated ${link.id}`),
    onFrame: (_: unknown, f: Frame) => seen.push(`frame ${f.type}`),
    onClosed: (link: { id: string }) => seen.push(`closed ${link.id}`),
    maxFrameBytes: 1 << 20,
    maxBufferedBytes: 1 << 20,
    authTimeoutMs: 100,
    heartbeatMs: 15_000,
    pendingRetryMs: 1000,
    random: () => 0.5,
    frames: {},
  } as unknown as SocketDeps;
  return { d, slots, seen };
}

/** Plays a real minion (protocol's machine) against the socket up to its auth frame. */
function authenticate(ws: FakeSocket): void {
  const key = generateMemoryKeyPair();
  let m: MinionHandshakeState = minionHandshake({
    id: 'web1',
    privateKey: key.privateKey,
    publicRaw: key.publicRaw,
    nonce: randomBytes(32),
    version: '0.1.0',
    backoffCapMs: 30_000,
  });
  const sendAll = (outputs: ReturnType<typeof stepMinion>['outputs']) => {
    for (const o of outputs) if (o.type === 'send') ws.receive(o.frame);
  };
  let step = stepMinion(m, { type: 'open', certFp: '' });
  m = step.state;
  sendAll(step.outputs);
  step = stepMinion(m, { type: 'frame', frame: ws.written.at(-1)! });
  step = stepMinion(step.state, {
    type: 'pinned',
    pin: { ok: true, firstUse: false },
    facts: { grains: {}, running: [] },
  });
  sendAll(step.outputs);
}

describe('handleMinionSocket', () => {
  afterEach(() => vi.useRealTimers());

  it('leaves its admission slot once when the minion is admitted, and ends the session at close', () => {
    const ws = new FakeSocket();
    const { d, slots, seen } = deps('accepted');
    handleMinionSocket(ws as unknown as WebSocket, '10.0.0.1', d);
    authenticate(ws);
    expect(ws.written.map((f) => f.type)).toEqual(['challenge', 'welcome']);
    ws.receive({ type: 'job.ack', jid: '20240102030405678901', attempt: 0, state: 'started' });
    ws.emit('close');
    expect(seen).toEqual(['authenticated web1', 'frame job.ack', 'closed web1']);
    expect(slots).toEqual({ entered: 1, left: 1 });
  });

  it('refuses a pending key with a jittered delay, closes, and leaves its slot once', () => {
    const ws = new FakeSocket();
    const { d, slots, seen } = deps('pending');
    handleMinionSocket(ws as unknown as WebSocket, '10.0.0.1', d);
    authenticate(ws);
    ws.emit('close');
    expect(ws.written.at(-1)).toMatchObject({ type: 'auth.refused', code: 'ERR_KEY_PENDING', retryAfterMs: 1000 });
    expect(ws.closes).toEqual([[1008, 'ERR_KEY_PENDING']]);
    expect(seen).toEqual([]);
    expect(slots).toEqual({ entered: 1, left: 1 });
  });

  it('listens to nothing more on a socket the admission gate refuses', () => {
    const ws = new FakeSocket();
    const { d, slots } = deps('accepted', true);
    handleMinionSocket(ws as unknown as WebSocket, '10.0.0.1', d);
    expect(ws.written).toMatchObject([{ type: 'auth.refused', code: 'ERR_AUTH_BUSY', retryAfterMs: 250 }]);
    expect(ws.closes).toEqual([[1013, 'ERR_AUTH_BUSY']]);
    expect(ws.listenerCount('message')).toBe(0);
    expect(slots).toEqual({ entered: 0, left: 0 });
  });

  it('closes at the deadline and leaves its slot once, whatever comes after', () => {
    vi.useFakeTimers();
    const ws = new FakeSocket();
    const { d, slots } = deps('accepted');
    handleMinionSocket(ws as unknown as WebSocket, '10.0.0.1', d);
    vi.advanceTimersByTime(100);
    authenticate(ws);
    ws.emit('close');
    expect(ws.written).toMatchObject([{ type: 'error', code: 'ERR_AUTH_TIMEOUT' }]);
    expect(ws.closes[0]).toEqual([1008, 'ERR_AUTH_TIMEOUT']);
    expect(slots).toEqual({ entered: 1, left: 1 });
  });

  it('sends welcome only once a new key it waits for is stored', async () => {
    const ws = new FakeSocket();
    let stored!: () => void;
    const { d, seen } = deps(new Promise<AdmitResult>((resolve) => (stored = () => resolve('accepted'))));
    handleMinionSocket(ws as unknown as WebSocket, '10.0.0.1', d);
    authenticate(ws);
    await Promise.resolve();
    expect(ws.written.map((f) => f.type)).toEqual(['challenge']);
    expect(seen).toEqual([]);
    stored();
    await vi.waitFor(() => expect(ws.written.map((f) => f.type)).toEqual(['challenge', 'welcome']));
    expect(seen).toEqual(['authenticated web1']);
  });

  it('answers nothing when the minion left while its key was being stored', async () => {
    const ws = new FakeSocket();
    const { d, seen, slots } = deps(Promise.resolve('accepted'));
    handleMinionSocket(ws as unknown as WebSocket, '10.0.0.1', d);
    authenticate(ws);
    ws.emit('close');
    await new Promise((r) => setImmediate(r));
    expect(ws.written.map((f) => f.type)).toEqual(['challenge']);
    expect(seen).toEqual([]);
    expect(slots).toEqual({ entered: 1, left: 1 });
  });
});
