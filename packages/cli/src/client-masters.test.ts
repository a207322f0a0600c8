import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './client.js';

let live: Server;
let hits = 0;
let liveUrl: string;
let deadUrl: string;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  live = createServer((req, res) => {
    hits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url }));
  });
  liveUrl = await listen(live);
  // A port that refuses connections: listened on, then closed.
  const dead = createServer();
  deadUrl = await listen(dead);
  await new Promise((r) => dead.close(r));
});
afterAll(() => new Promise((r) => live.close(r)));

describe('ApiClient with several master URLs', () => {
  it('sends to the next master when one refuses the connection, and stays with the one that answered', async () => {
    const client = new ApiClient({ url: `${deadUrl}, ${liveUrl}/`, token: 't', source: 'flags' });
    expect(await client.json('GET', '/api/v1/jobs')).toEqual({ path: '/api/v1/jobs' });
    expect(await client.json('GET', '/api/v1/minions')).toEqual({ path: '/api/v1/minions' });
    expect(hits).toBe(2);
  });

  it('reports the last master unreachable when none answers', async () => {
    const client = new ApiClient({ url: `${deadUrl},${deadUrl}`, token: 't', source: 'flags' });
    await expect(client.json('GET', '/x')).rejects.toMatchObject({ code: 'ERR_CLI_UNREACHABLE' });
  });
});
