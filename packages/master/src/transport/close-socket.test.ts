import { EventEmitter, once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeThenTerminate } from './close-socket.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.splice(0).forEach((f) => f());
  vi.useRealTimers();
});

/** A stand-in socket that records what is done to it. */
function fakeSocket() {
  const ws = Object.assign(new EventEmitter(), { close: vi.fn(), terminate: vi.fn() });
  return ws;
}

describe('closeThenTerminate', () => {
  it('sends the close frame with its code and reason at once', () => {
    const ws = fakeSocket();
    closeThenTerminate(ws as unknown as WebSocket, 1008, 'ERR_X');
    expect(ws.close).toHaveBeenCalledWith(1008, 'ERR_X');
    expect(ws.terminate).not.toHaveBeenCalled();
  });

  it('terminates a peer that has not closed when the grace ends', () => {
    vi.useFakeTimers();
    const ws = fakeSocket();
    closeThenTerminate(ws as unknown as WebSocket, 1013, 'ERR_AUTH_BUSY', 1000);
    vi.advanceTimersByTime(999);
    expect(ws.terminate).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(ws.terminate).toHaveBeenCalledTimes(1);
  });

  it('leaves a socket that closed within the grace alone and keeps no timer', () => {
    vi.useFakeTimers();
    const ws = fakeSocket();
    closeThenTerminate(ws as unknown as WebSocket, 1000, '');
    ws.emit('close');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(ws.terminate).not.toHaveBeenCalled();
  });

  it('cuts off a real peer that never answers the close handshake', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => wss.close());
    await once(wss, 'listening');
    const { port } = wss.address() as AddressInfo;
    const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
    // A raw TCP peer: it sends the upgrade request, then reads nothing and answers nothing.
    const peer = connect(port, '127.0.0.1', () =>
      peer.write(
        'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    cleanups.push(() => peer.destroy());
    const [ws] = await accepted;
    const closed = once(ws, 'close');
    const started = performance.now();
    closeThenTerminate(ws, 1008, 'ERR_X', 200);
    await closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  });
});
