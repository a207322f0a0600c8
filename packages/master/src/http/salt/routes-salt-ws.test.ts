/**
 * salt-api's WebSocket event stream (rest_cherrypy WebsocketEndpoint): `/ws/<token>`, or `/ws`
 * with X-Auth-Token or the session cookie; events flow once the client says it is ready.
 */
import { once } from 'node:events';
import { defer, finalize } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';

let fx: ApiFixture;
let base: string;
/** Bus subscriptions open now: a closed WebSocket must leave none behind. */
let liveBusSubscriptions = 0;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: { id: 'web1' } },
    users: { ev: { password: 'ev' }, keysonly: { password: 'k' }, nobody: { password: 'n' } },
    acl: { ev: ['@events'], keysonly: ['@metrics'] },
  });
  const events$ = fx.s.bus.events$.bind(fx.s.bus);
  fx.s.bus.events$ = (globs) =>
    defer(() => {
      liveBusSubscriptions++;
      return events$(globs).pipe(finalize(() => liveBusSubscriptions--));
    });
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  base = `ws://127.0.0.1:${(fx.app.server.address() as { port: number }).port}`;
});
afterAll(async () => fx?.close());

/** Opens a WebSocket and resolves when it is open, or with the HTTP status that refused it. */
function open(path: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  const ws = new WebSocket(`${base}${path}`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** The next message of a WebSocket whose event tag matches, parsed from its `data: ` line. */
async function nextEvent(ws: WebSocket, tag: RegExp): Promise<{ tag: string; data: Record<string, unknown> }> {
  for (;;) {
    const [msg] = (await once(ws, 'message')) as [Buffer];
    const text = msg.toString('utf8');
    expect(text).toMatch(/^data: .*\n\n$/s);
    const e = JSON.parse(text.slice('data: '.length)) as { tag: string; data: Record<string, unknown> };
    if (tag.test(e.tag)) return e;
  }
}

/** Resolves once `check` holds, polling every 10 ms for up to 5 s. */
async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

async function startJob(): Promise<string> {
  const res = await call(fx.app, 'POST', '/minions', {
    token: fx.adminToken,
    body: [{ tgt: 'web1', fun: 'test.ping' }],
  });
  return res.json.return[0].jid as string;
}

/**
 * Says "websocket client ready", then starts jobs until the stream carries one's `new` event
 * (the server subscribes when the message arrives: no fixed wait for it); answers that event.
 */
async function readyAndFirstJob(ws: WebSocket): Promise<{ tag: string; data: Record<string, unknown> }> {
  ws.send('websocket client ready');
  const jobs = setInterval(() => void startJob(), 25);
  try {
    return await nextEvent(ws, /\/new$/);
  } finally {
    clearInterval(jobs);
  }
}

describe('GET /ws/<token>', () => {
  it('streams Salt-tagged events after "websocket client ready", and nothing before', async () => {
    const ws = (await open(`/ws/${fx.tokenFor('ev')}`)) as WebSocket;
    const early: string[] = [];
    ws.on('message', (m) => early.push(String(m)));
    await startJob();
    await new Promise((r) => setTimeout(r, 100));
    expect(early).toEqual([]);
    const created = await readyAndFirstJob(ws);
    const jid = created.data['jid'] as string;
    expect(created).toMatchObject({ tag: `salt/job/${jid}/new`, data: { fun: 'test.ping', minions: ['web1'] } });
    const ret = await nextEvent(ws, new RegExp(`^salt/job/${jid}/ret/`));
    expect(ret).toMatchObject({
      tag: `salt/job/${jid}/ret/web1`,
      data: { return: true, fun: 'test.ping', id: 'web1' },
    });
    expect(liveBusSubscriptions).toBeGreaterThan(0);
    ws.close();
    await once(ws, 'close');
    await waitUntil(() => liveBusSubscriptions === 0);
  });

  it('refuses a bad token and a user without an event grant with 401, and a plain GET with 400', async () => {
    expect(await open('/ws/garbage')).toBe(401);
    expect(await open(`/ws/${fx.tokenFor('keysonly')}`)).toBe(401);
    const plain = await call(fx.app, 'GET', `/ws/${fx.tokenFor('ev')}`);
    expect(plain.status).toBe(400);
    expect(plain.json).toMatchObject({ status: 400, return: 'a WebSocket upgrade is required' });
  });
});

describe('GET /ws', () => {
  it('takes X-Auth-Token or the session_id cookie from the login', async () => {
    const byHeader = (await open('/ws', { 'x-auth-token': fx.tokenFor('ev') })) as WebSocket;
    byHeader.close();
    const login = await call(fx.app, 'POST', '/login', { form: { username: 'ev', password: 'ev', eauth: 'pam' } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const byCookie = (await open('/ws', { cookie })) as WebSocket;
    expect((await readyAndFirstJob(byCookie)).tag).toMatch(/^salt\/job\/\d{20}\/new$/);
    byCookie.close();
    expect(await open('/ws')).toBe(401);
    // WebSockets ignore CORS: a page of another origin (a sibling host) gets no identity from the cookie.
    expect(await open('/ws', { cookie, origin: 'http://evil.localhost' })).toBe(401);
    const own = (await open('/ws', { cookie, origin: base.replace(/^ws/, 'http') })) as WebSocket;
    own.close();
  });
});
