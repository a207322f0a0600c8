import { createHmac } from 'node:crypto';
import type { ApiFixture, FixtureOptions } from './api.fixture.js';
import { call, type CallOptions } from './api-call.fixture.js';

/** The users of the matrix: the admin, one with nothing, and one per grant. */
export const MATRIX_USERS = [
  'root',
  'nobody',
  'u-run',
  'u-jobs',
  'u-keys',
  'u-events',
  'u-minions',
  'u-metrics',
  'u-tokens',
  'u-hooks',
  'u-audit',
] as const;
/** One of {@link MATRIX_USERS}. */
export type MatrixUser = (typeof MATRIX_USERS)[number];

/** The fixture config the matrix runs against. */
export const MATRIX_FIXTURE: FixtureOptions = {
  minions: { 'ms-0': { os: 'Debian' }, 'ms-1': { os: 'Debian' } },
  users: Object.fromEntries(MATRIX_USERS.filter((u) => u !== 'root').map((u) => [u, { password: `pw-${u}` }])),
  acl: {
    'u-run': [{ '*': ['test.*'] }],
    'u-jobs': ['@jobs'],
    'u-keys': ['@keys'],
    'u-events': ['@events'],
    'u-minions': ['@minions'],
    'u-metrics': ['@metrics'],
    'u-tokens': ['@tokens'],
    'u-hooks': ['@hooks'],
    'u-audit': ['@audit'],
  },
  keys: { 'k-acc': 'accepted', 'k-pend': 'pending' },
  hooks: { deploy: { secret: 'matrix-hook-secret-0123' } },
};

/**
 * How a row presents its credential. `websocket` rows (salt-api's `/ws`) are upgrades, which
 * `inject` cannot make; routes-salt-ws.test.ts checks them over a socket.
 */
export type Credential = 'header' | 'query' | 'inline' | 'signature' | 'public' | 'websocket';

/** A request of a row, built fresh for each call (a route may consume what it acts on). */
export type RowRequest = Omit<CallOptions, 'token'> & { url: string; freshToken?: boolean };

/** One route of the matrix: how to call it, and who besides root gets a 2xx. */
export interface MatrixRow {
  route: string;
  credential?: Credential;
  allowed: readonly MatrixUser[] | 'all';
  request(
    fx: ApiFixture,
    ctx: { token: (u: MatrixUser) => string; jid: () => Promise<string> },
  ): Promise<RowRequest> | RowRequest;
}

/** Starts a job as root that never ends (test.sleep), for routes that act on an active job. */
export async function activeJob(fx: ApiFixture): Promise<string> {
  const res = await call(fx.app, 'POST', '/api/v1/jobs', {
    token: fx.adminToken,
    body: { target: 'ms-0', fun: 'test.sleep' },
  });
  return res.json.jid as string;
}

/** Signs `<timestamp>.<body>` for the matrix hook (or the body alone when `timestamp` is null). */
export function sign(body: string, secret = 'matrix-hook-secret-0123', timestamp: number | null = nowS()): string {
  const signed = timestamp === null ? body : `${timestamp}.${body}`;
  return `sha256=${createHmac('sha256', secret).update(signed).digest('hex')}`;
}

/** The current time in Unix seconds, as `X-Brine-Timestamp` carries it. */
export function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The headers of a signed webhook request: `X-Brine-Timestamp` and `X-Brine-Signature` over
 * `<timestamp>.<body>`. Pass a distinct `timestamp` to sign the same body twice (the master
 * refuses a signature it has seen).
 */
export function hookHeaders(body: string, secret: string, timestamp = nowS()): Record<string, string> {
  return { 'x-brine-timestamp': String(timestamp), 'x-brine-signature': sign(body, secret, timestamp) };
}

const ping = { target: '*', fun: 'test.ping' };
const low = [{ client: 'local', tgt: '*', fun: 'test.ping' }];
const get = (url: string) => () => ({ url });

/** Every route the API serves. A route without a row fails the matrix test. */
export const MATRIX_ROWS: readonly MatrixRow[] = [
  { route: 'GET /healthz', credential: 'public', allowed: 'all', request: get('/healthz') },
  { route: 'GET /openapi.json', credential: 'public', allowed: 'all', request: get('/openapi.json') },
  { route: 'GET /', credential: 'public', allowed: 'all', request: get('/') },
  {
    route: 'POST /api/v1/login',
    credential: 'public',
    allowed: 'all',
    request: () => ({ url: '/api/v1/login', body: { username: 'u-run', password: 'pw-u-run' } }),
  },
  {
    route: 'POST /login',
    credential: 'public',
    allowed: 'all',
    request: () => ({ url: '/login', form: { username: 'u-run', password: 'pw-u-run', eauth: 'pam' } }),
  },
  { route: 'GET /login', credential: 'public', allowed: 'all', request: get('/login') },
  // The web console's static files (issue #22): public pages that call the API with a token.
  { route: 'GET /ui/', credential: 'public', allowed: 'all', request: get('/ui/') },
  { route: 'GET /ui/*', credential: 'public', allowed: 'all', request: get('/ui/assets/app.js') },
  {
    route: 'POST /token',
    credential: 'public',
    allowed: 'all',
    request: () => ({ url: '/token', body: { username: 'u-run', password: 'pw-u-run', eauth: 'auto' } }),
  },
  { route: 'POST /run', credential: 'inline', allowed: ['u-run'], request: () => ({ url: '/run', body: low }) },
  {
    route: 'POST /keys',
    credential: 'inline',
    allowed: ['u-keys'],
    request: () => ({ url: '/keys', form: { mid: 'k-gen', username: 'u-keys', password: 'pw-u-keys', eauth: 'pam' } }),
  },
  {
    route: 'GET /ws',
    credential: 'websocket',
    allowed: ['u-run', 'u-jobs', 'u-keys', 'u-events'],
    request: get('/ws'),
  },
  {
    route: 'GET /ws/:token',
    credential: 'websocket',
    allowed: ['u-run', 'u-jobs', 'u-keys', 'u-events'],
    request: (_fx, c) => ({ url: `/ws/${c.token('u-events')}` }),
  },
  { route: 'GET /stats', allowed: 'all', request: get('/stats') },
  {
    route: 'POST /hooks/:name',
    credential: 'signature',
    allowed: 'all',
    request: () => ({ url: '/hooks/deploy', raw: '{"ref":"main"}' }),
  },
  { route: 'GET /metrics', allowed: ['u-metrics'], request: get('/metrics') },
  { route: 'GET /api/v1/audit', allowed: ['u-audit'], request: get('/api/v1/audit') },
  { route: 'POST /api/v1/jobs', allowed: ['u-run'], request: () => ({ url: '/api/v1/jobs', body: ping }) },
  {
    route: 'POST /api/v1/runners/:fun',
    // The ACL's runner area is @jobs (`@runner` grants it too): see Grants.special.
    allowed: ['u-jobs'],
    request: () => ({ url: '/api/v1/runners/demo.echo', body: { args: ['hi'] } }),
  },
  { route: 'GET /api/v1/jobs', allowed: ['u-run', 'u-jobs'], request: get('/api/v1/jobs') },
  { route: 'GET /api/v1/jobs/active', allowed: ['u-run', 'u-jobs'], request: get('/api/v1/jobs/active') },
  {
    route: 'GET /api/v1/jobs/:jid',
    allowed: ['u-jobs'],
    request: async (_fx, c) => ({ url: `/api/v1/jobs/${await c.jid()}` }),
  },
  {
    route: 'DELETE /api/v1/jobs/:jid',
    allowed: ['u-jobs'],
    request: async (fx) => ({ url: `/api/v1/jobs/${await activeJob(fx)}` }),
  },
  {
    route: 'GET /api/v1/jobs/:jid/events',
    credential: 'query',
    allowed: ['u-jobs'],
    request: async (_fx, c) => ({ url: `/api/v1/jobs/${await c.jid()}/events` }),
  },
  { route: 'GET /api/v1/minions', allowed: ['u-minions'], request: get('/api/v1/minions') },
  { route: 'GET /api/v1/minions/:id', allowed: ['u-minions'], request: get('/api/v1/minions/ms-0') },
  { route: 'GET /api/v1/minions/:id/pillar', allowed: ['u-minions'], request: get('/api/v1/minions/ms-0/pillar') },
  { route: 'GET /api/v1/keys', allowed: ['u-keys'], request: get('/api/v1/keys') },
  { route: 'GET /api/v1/keys/:id', allowed: ['u-keys'], request: get('/api/v1/keys/k-acc') },
  {
    route: 'POST /api/v1/keys/:id/accept',
    allowed: ['u-keys'],
    request: () => ({ url: '/api/v1/keys/k-pend/accept', body: {} }),
  },
  { route: 'POST /api/v1/keys/:id/reject', allowed: ['u-keys'], request: get('/api/v1/keys/nomatch/reject') },
  { route: 'DELETE /api/v1/keys/:id', allowed: ['u-keys'], request: get('/api/v1/keys/nomatch') },
  {
    route: 'POST /api/v1/keys/enroll-tokens',
    allowed: ['u-keys'],
    request: () => ({ url: '/api/v1/keys/enroll-tokens', body: { ttlSeconds: 60 } }),
  },
  {
    route: 'GET /api/v1/events',
    credential: 'query',
    allowed: ['u-run', 'u-jobs', 'u-keys', 'u-events'],
    request: get('/api/v1/events'),
  },
  { route: 'POST /api/v1/logout', allowed: 'all', request: () => ({ url: '/api/v1/logout', freshToken: true }) },
  { route: 'GET /api/v1/whoami', allowed: 'all', request: get('/api/v1/whoami') },
  {
    route: 'POST /api/v1/tokens',
    allowed: ['u-tokens'],
    request: () => ({ url: '/api/v1/tokens', body: { user: 'u-tokens', ttlSeconds: 60 } }),
  },
  { route: 'GET /api/v1/tokens', allowed: ['u-tokens'], request: get('/api/v1/tokens') },
  {
    route: 'DELETE /api/v1/tokens/:id',
    allowed: ['u-tokens'],
    request: (fx) => ({ url: `/api/v1/tokens/${fx.tokenFor('u-tokens').split('.')[0]}` }),
  },
  { route: 'POST /', allowed: ['u-run'], request: () => ({ url: '/', body: low }) },
  {
    route: 'POST /minions',
    allowed: ['u-run'],
    request: () => ({ url: '/minions', form: { tgt: '*', fun: 'test.ping' } }),
  },
  { route: 'GET /minions', allowed: ['u-minions'], request: get('/minions') },
  { route: 'GET /minions/:mid', allowed: ['u-minions'], request: get('/minions/ms-0') },
  { route: 'GET /jobs', allowed: ['u-run', 'u-jobs'], request: get('/jobs') },
  { route: 'GET /jobs/:jid', allowed: ['u-jobs'], request: async (_fx, c) => ({ url: `/jobs/${await c.jid()}` }) },
  { route: 'GET /keys', allowed: ['u-keys'], request: get('/keys') },
  { route: 'GET /keys/:mid', allowed: ['u-keys'], request: get('/keys/k-acc') },
  {
    route: 'GET /events',
    credential: 'query',
    allowed: ['u-run', 'u-jobs', 'u-keys', 'u-events'],
    request: get('/events'),
  },
  { route: 'POST /hook/*', allowed: ['u-hooks'], request: () => ({ url: '/hook/ci/build', body: { ok: true } }) },
  { route: 'POST /hook', allowed: ['u-hooks'], request: () => ({ url: '/hook', body: { ok: true } }) },
  { route: 'POST /logout', allowed: 'all', request: () => ({ url: '/logout', freshToken: true }) },
];
