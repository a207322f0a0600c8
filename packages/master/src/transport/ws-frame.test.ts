import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { binaryFrame, createFrameMemo, writeFrame } from './ws-frame.js';

const servers: WebSocketServer[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A ws server whose first connection gets `frames` written raw; resolves with what the ws client received. */
async function receive(frames: Buffer[], expected: number): Promise<Buffer[]> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  servers.push(wss);
  await once(wss, 'listening');
  wss.on('connection', (ws) => frames.forEach((f) => writeFrame(ws, f)));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
  const got: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    client.on('message', (data, isBinary) => {
      expect(isBinary).toBe(true);
      got.push(data as Buffer);
      if (got.length === expected) resolve();
    });
    client.on('error', reject);
  });
  client.close();
  return got;
}

describe('binaryFrame', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 300_000])('a %i-byte payload reaches a ws client intact', async (n) => {
    const payload = Buffer.alloc(n, 7);
    if (n > 0) payload[n - 1] = 42;
    const [got] = await receive([binaryFrame(payload)], 1);
    expect(got!.equals(payload)).toBe(true);
  });

  it('several frames written back to back arrive as separate messages, in order', async () => {
    const got = await receive(
      [binaryFrame(Buffer.from('one')), binaryFrame(Buffer.from('two')), binaryFrame(Buffer.from('three'))],
      3,
    );
    expect(got.map(String)).toEqual(['one', 'two', 'three']);
  });

  it('framed() frames a payload once while it is sent again and again', () => {
    const { framed } = createFrameMemo();
    const a = Buffer.from('job');
    const b = Buffer.from('other');
    expect(framed(a)).toBe(framed(a));
    const fb = framed(b);
    expect(fb).not.toBe(framed(a));
    expect(framed(a).subarray(2).toString()).toBe('job');
  });
});

describe('framedPair', () => {
  it('joins two frames, and gives the same buffer for the same pair of payloads', async () => {
    const { framedPair } = createFrameMemo();
    const ack = Buffer.from('ack');
    const job = Buffer.from('job');
    const joined = framedPair(ack, job);
    expect(framedPair(ack, job)).toBe(joined);
    expect(framedPair(Buffer.from('ack'), job)).not.toBe(joined);
    const got = await receive([framedPair(ack, job)], 2);
    expect(got.map(String)).toEqual(['ack', 'job']);
  });
});

describe('createFrameMemo', () => {
  it('makes memos that share nothing with each other', () => {
    const one = createFrameMemo();
    const two = createFrameMemo();
    const job = Buffer.from('job');
    const ack = Buffer.from('ack');
    expect(two.framed(job)).not.toBe(one.framed(job));
    expect(two.framedPair(ack, job)).not.toBe(one.framedPair(ack, job));
    expect(two.framed(job).equals(one.framed(job))).toBe(true);
  });
});
