import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from './api.fixture.js';
import { call, type CallResult } from './api-call.fixture.js';
import {
  MATRIX_FIXTURE,
  MATRIX_ROWS,
  MATRIX_USERS,
  activeJob,
  nowS,
  sign,
  type MatrixRow,
  type MatrixUser,
  type RowRequest,
} from './auth-matrix.fixture.js';
import { TokenKind } from './auth/tokens.js';

let fx: ApiFixture;
let tokens: Record<MatrixUser, string>;
let rootJid: string;

beforeAll(async () => {
  fx = await apiFixture(MATRIX_FIXTURE);
  tokens = Object.fromEntries(
    MATRIX_USERS.map((u) => [u, u === 'root' ? fx.adminToken : fx.tokenFor(u)]),
  ) as typeof tokens;
  rootJid = await activeJob(fx);
});
afterAll(async () => fx?.close());

const ctx = { token: (u: MatrixUser) => tokens[u], jid: async () => rootJid };
const method = (row: MatrixRow) => row.route.split(' ')[0]!;

async function send(
  row: MatrixRow,
  token: string | undefined,
  where: 'header' | 'query' = 'header',
): Promise<CallResult> {
  const req: RowRequest = await row.request(fx, ctx);
  const { url, freshToken: _f, ...opts } = req;
  if (where === 'query' && token !== undefined)
    return call(fx.app, method(row), `${url}?token=${encodeURIComponent(token)}`, opts);
  return call(fx.app, method(row), url, { ...opts, ...(token === undefined ? {} : { token }) });
}

/** A valid token of a user the row allows (fresh when the route consumes it). */
function allowedUser(row: MatrixRow): MatrixUser {
  return row.allowed === 'all' ? 'u-run' : row.allowed[0]!;
}

const tokenRows = MATRIX_ROWS.filter((r) => (r.credential ?? 'header') === 'header' || r.credential === 'query');

/** A user the ACL refuses gets 403, except on salt-api routes, which answer 401 as rest_cherrypy does (issue #14). */
const refusal = (row: MatrixRow) =>
  fx.app.brineRoutes.find((r) => `${r.method} ${r.url}` === row.route)?.tag === 'salt-api' ? 401 : 403;

describe('the route table', () => {
  it('has a matrix row for every route fastify registered, and fastify has no route outside the table', () => {
    const registered = [...fx.app.registeredRoutes].sort();
    expect(MATRIX_ROWS.map((r) => r.route).sort()).toEqual(registered);
    expect(fx.app.brineRoutes.map((r) => `${r.method} ${r.url}`).sort()).toEqual(registered);
  });

  it('pins the routes that take no token: health, the OpenAPI document, the console files, logins, /run, and signed hooks', () => {
    const open = fx.app.brineRoutes.filter((r) => r.permission === 'public' || r.permission === 'hook');
    expect(open.map((r) => `${r.method} ${r.url} ${r.permission}`).sort()).toEqual([
      'GET / public',
      'GET /healthz public',
      'GET /login public',
      'GET /openapi.json public',
      'GET /ui/ public',
      'GET /ui/* public',
      'POST /api/v1/login public',
      'POST /hooks/:name hook',
      'POST /keys public',
      'POST /login public',
      'POST /run public',
      'POST /token public',
    ]);
  });
});

describe.each(tokenRows.map((r) => [r.route, r] as const))('%s', (_name, row) => {
  it('answers 401 without a token, and with a malformed, foreign, expired, revoked or orphaned one', async () => {
    const user = allowedUser(row);
    expect((await send(row, undefined)).status).toBe(401);
    const last = tokens[user].at(-1) === 'A' ? 'B' : 'A';
    for (const bad of ['garbage', 'x'.repeat(600), `${tokens[user].slice(0, -1)}${last}`, `${tokens[user]}A`])
      expect((await send(row, bad)).status).toBe(401);
    const { status } = await call(fx.app, method(row), (await row.request(fx, ctx)).url, {
      headers: { authorization: `Basic ${tokens[user]}` },
    });
    expect(status).toBe(401);

    const expiring = fx.s.tokens.issue({ user, kind: TokenKind.api, ttlMs: 1000 });
    fx.clock.at = expiring.info.expiresAt - 1;
    expect((await send(row, expiring.token)).status).toBeLessThan(300);
    for (const at of [expiring.info.expiresAt, expiring.info.expiresAt + 1]) {
      fx.clock.at = at;
      expect((await send(row, expiring.token)).status).toBe(401);
    }
    fx.clock.at = undefined;

    const revoked = fx.s.tokens.issue({ user, kind: TokenKind.api, ttlMs: 60_000 });
    fx.s.tokens.revoke(revoked.info.id);
    expect((await send(row, revoked.token)).status).toBe(401);
    const orphan = fx.s.tokens.issue({ user: 'ghost', kind: TokenKind.api, ttlMs: 60_000 });
    expect((await send(row, orphan.token)).status).toBe(401);
    const fakeRoot = fx.s.tokens.issue({ user: 'root', kind: TokenKind.api, ttlMs: 60_000 });
    expect((await send(row, fakeRoot.token)).status).toBe(401);
  });

  it(`answers 2xx to root and ${row.allowed === 'all' ? 'every user' : row.allowed.join(', ')}, and 403 (salt-api: 401) to every other user`, async () => {
    for (const user of MATRIX_USERS) {
      const req = await row.request(fx, ctx);
      const token = req.freshToken ? (user === 'root' ? fx.adminToken : fx.tokenFor(user)) : tokens[user];
      if (req.freshToken && user === 'root') continue; // the admin token cannot be revoked; logout is a no-op for it
      const ok = user === 'root' || row.allowed === 'all' || row.allowed.includes(user);
      const res = await send(row, token);
      expect({ user, status: res.status, ok: res.status >= 200 && res.status < 300 }).toMatchObject(
        ok ? { user, ok: true } : { user, status: refusal(row) },
      );
    }
  });

  it(
    row.credential === 'query' ? 'also takes the token from ?token=' : 'never reads a token from the URL',
    async () => {
      const user = allowedUser(row);
      const res = await send(row, row.credential === 'query' ? tokens[user] : fx.tokenFor(user), 'query');
      expect(res.status).toBe(row.credential === 'query' ? 200 : 401);
    },
  );
});

describe('POST /run (credentials inside each lowstate chunk)', () => {
  const run = (chunk: Record<string, unknown>) =>
    call(fx.app, 'POST', '/run', { body: [{ client: 'local', tgt: '*', fun: 'test.ping', ...chunk }] });

  it('answers 401 without credentials, with a bad password, an unserved eauth, or a bad token', async () => {
    const expiring = fx.s.tokens.issue({ user: 'u-run', kind: TokenKind.api, ttlMs: 1000 });
    const revoked = fx.tokenFor('u-run');
    fx.s.tokens.revoke(revoked.split('.')[0]!);
    for (const chunk of [
      {},
      { username: 'u-run', password: 'nope', eauth: 'pam' },
      { username: 'u-run', password: 'pw-u-run', eauth: 'ldap' },
      { username: 'u-run', password: 'pw-u-run' },
      { token: 'garbage' },
      { token: revoked },
    ]) {
      expect((await run(chunk)).status).toBe(401);
    }
    fx.clock.at = expiring.info.expiresAt;
    expect((await run({ token: expiring.token })).status).toBe(401);
    fx.clock.at = undefined;
    expect(
      (
        await call(fx.app, 'POST', '/run', {
          token: tokens['u-run'],
          body: [{ client: 'local', tgt: '*', fun: 'test.ping' }],
        })
      ).status,
    ).toBe(401);
  });

  it('answers 401 (salt-api refuses as rest_cherrypy does) to users without the grant and 200 to those with it, by password or token', async () => {
    for (const user of MATRIX_USERS.filter((u) => u !== 'root')) {
      const res = await run({ username: user, password: `pw-${user}`, eauth: 'auto' });
      expect({ user, status: res.status }).toEqual({ user, status: user === 'u-run' ? 200 : 401 });
    }
    expect((await run({ token: tokens['u-run'] })).status).toBe(200);
    expect((await run({ token: fx.adminToken })).status).toBe(200);
  });
});

describe('POST /hooks/:name (HMAC signature over a timestamp and the body, no token)', () => {
  const body = '{"ref":"main"}';
  const hook = (headers: Record<string, string>, name = 'deploy') =>
    call(fx.app, 'POST', `/hooks/${name}`, { raw: body, headers: { 'content-type': 'application/json', ...headers } });
  // Each valid request signs another second: the master refuses a signature it has seen.
  let second = nowS() - 100;
  const stamp = () => String(++second);

  it('answers 401 without a signature, with a malformed or wrong one, for an unknown hook, and to a token alone', async () => {
    const ts = stamp();
    const at = { 'x-brine-timestamp': ts };
    expect((await hook({})).status).toBe(401);
    expect((await hook({ ...at, 'x-brine-signature': 'sha256=zz' })).status).toBe(401);
    expect((await hook({ ...at, 'x-brine-signature': sign(body, undefined, +ts).toUpperCase() })).status).toBe(401);
    expect((await hook({ ...at, 'x-brine-signature': sign(body, 'another-secret-entirely', +ts) })).status).toBe(401);
    expect((await hook({ ...at, 'x-brine-signature': sign(`${body} `, undefined, +ts) })).status).toBe(401);
    expect((await hook({ ...at, 'x-brine-signature': sign(body, undefined, +ts) }, 'nohook')).status).toBe(401);
    expect((await hook({ authorization: `Bearer ${fx.adminToken}` })).status).toBe(401);
  });

  it('answers 401 to a signature of the body alone, of another timestamp, or of a stale or future one', async () => {
    const ts = stamp();
    expect((await hook({ 'x-brine-signature': sign(body, undefined, null) })).status).toBe(401);
    expect((await hook({ 'x-brine-timestamp': ts, 'x-brine-signature': sign(body, undefined, +ts - 1) })).status).toBe(
      401,
    );
    for (const old of [nowS() - 301, nowS() + 301])
      expect(
        (await hook({ 'x-brine-timestamp': String(old), 'x-brine-signature': sign(body, undefined, old) })).status,
      ).toBe(401);
  });

  it('answers 200 to a valid signature in X-Brine-Signature or GitHub X-Hub-Signature-256, once each', async () => {
    for (const header of ['x-brine-signature', 'x-hub-signature-256']) {
      const ts = stamp();
      const signed = { 'x-brine-timestamp': ts, [header]: sign(body, undefined, +ts) };
      expect((await hook(signed)).status).toBe(200);
      expect((await hook(signed)).json).toMatchObject({
        code: 'ERR_AUTH_REQUIRED',
        message: expect.stringMatching(/before/),
      });
    }
  });
});

describe('public routes', () => {
  it.each(MATRIX_ROWS.filter((r) => r.credential === 'public').map((r) => [r.route, r] as const))(
    '%s answers without a token',
    async (_n, row) => {
      expect((await send(row, undefined)).status).toBe(200);
    },
  );
});
