import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './client.js';
import type { FetchLike } from './fetch-transport.js';
import { notReached, parseMasterUrls } from './master-list.js';
import { connectFromEnv } from './node.js';
import { nodeFetch } from './node-fetch.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A loopback master on port 0 that records the paths it was asked; resolves with its base URL. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(req.url ?? '');
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, asked, server };
}

/** A loopback URL nothing listens on (a server bound, then closed): connecting is refused. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

const json =
  (body: unknown, status = 200) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

/** A fetch that records every URL it is given, over Node's global fetch or node:http. */
function recording(inner: FetchLike) {
  const tried: string[] = [];
  const fetch: FetchLike = (url, init) => {
    tried.push(new URL(url).origin);
    return inner(url, init);
  };
  return { fetch, tried };
}

const FETCHES: [string, FetchLike][] = [
  ['global fetch', (url, init) => globalThis.fetch(url, init)],
  ['nodeFetch', nodeFetch()],
];

describe('several master URLs', () => {
  it('reads a list or a comma-separated string, without trailing slashes', () => {
    expect(parseMasterUrls('http://a:1/, http://b:2')).toEqual(['http://a:1', 'http://b:2']);
    expect(parseMasterUrls(['http://a:1'])).toEqual(['http://a:1']);
  });

  it.each(FETCHES)(
    'sends to the next master when one refuses the connection, and stays there (%s)',
    async (_name, inner) => {
      const dead = await deadUrl();
      const live = await serve(json({ minions: ['m1'] }));
      const f = recording(inner);
      const client = connect({ url: [dead, live.url], token: 't', fetch: f.fetch });
      expect(await client.preview('*')).toEqual(['m1']);
      expect(await client.preview('*')).toEqual(['m1']);
      expect(f.tried).toEqual([dead, live.url, live.url]);
      expect(live.asked).toHaveLength(2);
    },
  );

  it('takes several masters from BRINE_URL, comma-separated, as the CLI does', async () => {
    const live = await serve(json({ minions: ['m2'] }));
    const env = { BRINE_URL: `${await deadUrl()}, ${live.url}/`, BRINE_TOKEN: 't', BRINE_MASTER_DIR: '/nonexistent' };
    expect(await connectFromEnv({ env }).preview('*')).toEqual(['m2']);
  });

  it('does not send to the next master after an HTTP answer, even a 4xx or 5xx', async () => {
    const refusing = await serve(json({ code: 'ERR_AUTH_FORBIDDEN', message: 'no' }, 403));
    const failing = await serve(json({ code: 'ERR_STORE_UNREACHABLE', message: 'down' }, 503));
    const other = await serve(json({ minions: [] }));
    await expect(connect({ url: `${refusing.url},${other.url}`, token: 't' }).preview('*')).rejects.toMatchObject({
      code: 'ERR_AUTH_FORBIDDEN',
      status: 403,
    });
    await expect(connect({ url: [failing.url, other.url], token: 't' }).preview('*')).rejects.toMatchObject({
      status: 503,
    });
    expect(other.asked).toEqual([]);
  });

  it('errors with ERR_CLIENT_UNREACHABLE when no master can be reached', async () => {
    const urls = [await deadUrl(), await deadUrl()];
    const err = await connect({ url: urls, token: 't' })
      .preview('*')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_CLIENT_UNREACHABLE' });
    expect((err as Error).message).toContain('any of the 2 masters');
    expect(notReached((err as Error).cause)).toBe(true);
  });

  it('reopens an event stream on the next master when its master dies', async () => {
    const sse = (tag: string, keepOpen: boolean) => (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ tag, data: null, stamp: 1 })}\n\n`);
      if (!keepOpen) setImmediate(() => res.socket?.destroy());
    };
    const a = await serve(sse('from/a', false));
    // Master a dies: its stream breaks and its port refuses from then on.
    a.server.on('request', () => a.server.close());
    const b = await serve(sse('from/b', true));
    const client = connect({ url: [a.url, b.url], token: 't' });
    const tags = await lastValueFrom(client.events$().pipe(take(2), toArray()));
    expect(tags.map((e) => e.tag)).toEqual(['from/a', 'from/b']);
    expect(b.asked).toEqual(['/api/v1/events?tags=']);
  });

  it('errors an event stream that breaks when only one master is known', async () => {
    const a = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      setImmediate(() => res.socket?.destroy());
    });
    const err = await firstValueFrom(connect({ url: a.url, token: 't' }).events$()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_CLIENT_STREAM_LOST' });
  });

  it('stops reopening after two rounds of masters that all refuse, with the last error', async () => {
    const urls = [await deadUrl(), await deadUrl()];
    const err = await firstValueFrom(connect({ url: urls, token: 't' }).events$()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_CLIENT_UNREACHABLE' });
  });
});
