import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dialWithDeadline, type Dial } from './connect-deadline.js';

/** A socket whose TCP connect never completes (a black hole), recording its end. */
class Unanswered extends EventEmitter {
  destroyedWith: Error | undefined;
  destroy(err?: Error): this {
    this.destroyedWith = err;
    this.emit('close');
    return this;
  }
}

const waitFor = async (cond: () => boolean, ms: number): Promise<void> => {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

let server: Server | undefined;
const held: Socket[] = [];
afterEach(async () => {
  for (const s of held.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('dialWithDeadline', () => {
  it('destroys a connect that is not established within the deadline', async () => {
    const socket = new Unanswered();
    const dial = dialWithDeadline(false, 20, (() => socket) as unknown as Dial);
    expect(dial({ host: '10.0.0.1' })).toBe(socket);
    await waitFor(() => socket.destroyedWith !== undefined, 2000);
    expect(socket.destroyedWith?.message).toMatch(/timed out/);
  });

  it('keeps a connection the master accepted past the deadline, while the master says nothing', async () => {
    // The master holds accepted sockets unread (its connect gate): the TCP connect completes at once.
    server = createServer({ pauseOnConnect: true }, (s) => void held.push(s));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const socket = dialWithDeadline(false, 30)({ host: '127.0.0.1', port });
    let closed = false;
    socket.on('close', () => (closed = true));
    await new Promise((r) => socket.once('connect', r));
    await new Promise((r) => setTimeout(r, 150));
    expect(closed).toBe(false);
    socket.destroy();
  });
});
