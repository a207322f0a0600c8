import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { createHeartbeats } from './heartbeats.js';

/** A stand-in socket that records pings and terminations. */
function fakeSocket() {
  return Object.assign(new EventEmitter(), { ping: vi.fn(), terminate: vi.fn() });
}
const asWs = (s: ReturnType<typeof fakeSocket>) => s as unknown as WebSocket;

describe('createHeartbeats', () => {
  it('pings a tracked socket and keeps it while it answers', () => {
    const hb = createHeartbeats();
    const ws = fakeSocket();
    const dead = vi.fn();
    hb.track(asWs(ws));
    for (let i = 0; i < 3; i++) {
      hb.sweep([asWs(ws)], dead);
      ws.emit('pong');
    }
    expect(ws.ping).toHaveBeenCalledTimes(3);
    expect(ws.terminate).not.toHaveBeenCalled();
    expect(dead).not.toHaveBeenCalled();
  });

  it('terminates a socket that missed one ping, and says so', () => {
    const hb = createHeartbeats();
    const ws = fakeSocket();
    const dead = vi.fn();
    hb.track(asWs(ws));
    hb.sweep([asWs(ws)], dead);
    hb.sweep([asWs(ws)], dead);
    expect(ws.terminate).toHaveBeenCalledTimes(1);
    expect(dead).toHaveBeenCalledWith(ws);
  });

  it('leaves sockets it does not track alone', () => {
    const hb = createHeartbeats();
    const ws = fakeSocket();
    hb.sweep([asWs(ws)], vi.fn());
    hb.sweep([asWs(ws)], vi.fn());
    expect(ws.ping).not.toHaveBeenCalled();
    expect(ws.terminate).not.toHaveBeenCalled();
  });

  it('keeps its liveness apart from another instance', () => {
    const one = createHeartbeats();
    const two = createHeartbeats();
    const ws = fakeSocket();
    one.track(asWs(ws));
    two.sweep([asWs(ws)], vi.fn());
    expect(ws.ping).not.toHaveBeenCalled();
  });
});
