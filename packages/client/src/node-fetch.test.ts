import { createServer, type Server } from 'node:http';
import { lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchTransport } from './fetch-transport.js';
import { nodeFetch } from './node-fetch.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A loopback server on port 0; resolves with its base URL. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('nodeFetch', () => {
  it('carries the method, headers and body, and streams NDJSON back through the transport', async () => {
    let seen: { method?: string | undefined; auth?: string | undefined; body: string } = { body: '' };
    const url = await serve((req, res) => {
      req.on('data', (c: Buffer) => (seen.body += c.toString()));
      req.on('end', () => {
        seen = { ...seen, method: req.method, auth: req.headers.authorization };
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write('{"a":1}\n');
        res.end('{"b":2}\n');
      });
    });
    const t = fetchTransport({ url, token: 'tok', fetch: nodeFetch() });
    expect(await lastValueFrom(t.ndjson$('POST', '/x', { q: 1 }).pipe(toArray()))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(seen).toEqual({ method: 'POST', auth: 'Bearer tok', body: '{"q":1}' });
  });

  it('closes the connection when the subscriber unsubscribes mid-stream', async () => {
    let closed = false;
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"a":1}\n');
      res.on('close', () => (closed = true));
    });
    const t = fetchTransport({ url, token: 't', fetch: nodeFetch() });
    await lastValueFrom(t.ndjson$('GET', '/x').pipe(take(1)));
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(true);
  });

  it('rejects as unreachable when nothing listens', async () => {
    const t = fetchTransport({ url: 'http://127.0.0.1:1', token: 't', fetch: nodeFetch() });
    await expect(lastValueFrom(t.json$('GET', '/x'))).rejects.toMatchObject({ code: 'ERR_CLIENT_UNREACHABLE' });
  });
});
