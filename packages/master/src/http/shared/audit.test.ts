import { hookHeaders } from '../auth-matrix.fixture.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';

const PASSWORD = 'hunter2-correct-horse';
const HOOK_SECRET = 'hook-secret-never-logged';
const SECRET_ARG = 'SECRET-ARG-4f1c';
let fx: ApiFixture;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: {} },
    users: { alice: { password: PASSWORD } },
    acl: { alice: ['test.*'] },
    hooks: { deploy: { secret: HOOK_SECRET } },
  });
});
afterAll(async () => fx?.close());

const audits = () => fx.logs.filter((l) => l['audit'] === true);

describe('audit log', () => {
  it('writes one line per request with who, route, target, function, jid and status', async () => {
    const n = audits().length;
    const res = await call(fx.app, 'POST', '/api/v1/jobs?wait=true', {
      token: fx.adminToken,
      body: { target: 'web*', fun: 'test.ping' },
    });
    await call(fx.app, 'GET', '/api/v1/keys', { token: 'nope' });
    const lines = audits().slice(n);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      user: 'root',
      method: 'POST',
      route: '/api/v1/jobs',
      status: 200,
      outcome: 'ok',
      fun: 'test.ping',
      target: 'web*',
      jid: res.json.jid,
      minions: 1,
    });
    expect(lines[0]!['tokenId']).toMatch(/^[0-9a-f]{16}$/);
    expect(lines[1]).toMatchObject({
      user: null,
      route: '/api/v1/keys',
      status: 401,
      outcome: 'denied',
      code: 'ERR_AUTH_REQUIRED',
    });
  });

  it('logs a refused job as denied with its function and target, and an unmatched route by its path only', async () => {
    const alice = fx.tokenFor('alice');
    await call(fx.app, 'POST', '/api/v1/jobs', {
      token: alice,
      body: { target: 'web1', fun: 'cmd.run', args: ['id'] },
    });
    await call(fx.app, 'GET', `/api/v1/nothing?token=${alice}`);
    const [refused, unmatched] = audits().slice(-2);
    expect(refused).toMatchObject({
      user: 'alice',
      status: 403,
      outcome: 'denied',
      fun: 'cmd.run',
      target: 'web1',
      code: 'ERR_AUTH_FORBIDDEN',
    });
    expect(unmatched).toMatchObject({ route: '/api/v1/nothing', status: 404 });
  });

  it('never logs a password, a token, a hook secret or signature, or job arguments (CVE-2021-25284)', async () => {
    const login = await call(fx.app, 'POST', '/api/v1/login', { body: { username: 'alice', password: PASSWORD } });
    await call(fx.app, 'POST', '/api/v1/login', { body: { username: 'alice', password: `${PASSWORD}x` } });
    await call(fx.app, 'POST', '/login', { form: { username: 'alice', password: PASSWORD, eauth: 'pam' } });
    await call(fx.app, 'POST', '/api/v1/jobs?wait=true', {
      token: login.json.token,
      body: { target: 'web1', fun: 'test.echo', args: [SECRET_ARG] },
    });
    const body = '{"x":1}';
    const headers = hookHeaders(body, HOOK_SECRET);
    const signature = headers['x-brine-signature']!;
    const hooked = await call(fx.app, 'POST', '/hooks/deploy', {
      raw: body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    expect(hooked.status).toBe(200);
    await call(fx.app, 'GET', `/api/v1/events?token=${login.json.token}`);
    await new Promise((r) => setTimeout(r, 10)); // a stream's line is written when it closes
    const text = JSON.stringify(fx.logs);
    for (const secret of [
      PASSWORD,
      login.json.token,
      login.json.token.split('.')[1],
      fx.adminToken,
      HOOK_SECRET,
      signature,
      SECRET_ARG,
    ])
      expect(text).not.toContain(secret);
    expect(audits().some((l) => l['route'] === '/api/v1/events' && l['user'] === 'alice')).toBe(true);
  });
});

describe('/metrics', () => {
  it('is Prometheus text: HELP and TYPE for each family, valid samples, cumulative buckets', async () => {
    await call(fx.app, 'GET', '/healthz');
    const res = await call(fx.app, 'GET', '/metrics', { token: fx.adminToken });
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text.endsWith('\n')).toBe(true);
    const typed = new Map<string, string>();
    for (const line of res.text.trimEnd().split('\n')) {
      const meta = /^# (HELP|TYPE) ([a-z_:][a-z0-9_:]*) (.+)$/.exec(line);
      if (meta) {
        if (meta[1] === 'TYPE') typed.set(meta[2]!, meta[3]!);
        continue;
      }
      const m =
        /^([a-z_:][a-z0-9_:]*)(\{[a-z_]+="(?:[^"\\\n]|\\.)*"(?:,[a-z_]+="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(
          line,
        );
      expect(m, line).not.toBeNull();
      const family = m![1]!.replace(/_(bucket|sum|count)$/, '');
      expect(typed.has(family) || typed.has(m![1]!), line).toBe(true);
    }
    expect(typed.get('brine_http_request_duration_seconds')).toBe('histogram');
    expect(res.text).toMatch(
      /^brine_http_request_duration_seconds_count\{method="GET",route="\/healthz",code="200"\} [1-9]/m,
    );
    expect(res.text).toMatch(/^brine_job_duration_seconds_count [1-9]/m);
    expect(res.text).toMatch(/^brine_api_auth_failures_total\{reason="unauthenticated"\} [1-9]/m);
    const buckets = [...res.text.matchAll(/^brine_job_duration_seconds_bucket\{le="[^"]+"\} (\d+)$/gm)].map((x) =>
      Number(x[1]),
    );
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
  });
});

describe('/openapi.json', () => {
  it('describes every route, with its permission and the zod schema of its body', async () => {
    const doc = (await call(fx.app, 'GET', '/openapi.json')).json;
    expect(doc.openapi).toBe('3.1.0');
    for (const r of fx.app.brineRoutes) {
      const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}').replace(/\*$/, '{path}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toMatchObject({
        'x-brine-permission': r.permission,
        summary: r.summary,
      });
    }
    const run = doc.paths['/api/v1/jobs'].post;
    // `fun`: one name or several (a compound job), as a comma list or an array.
    expect(run.requestBody.content['application/json'].schema.properties.fun.anyOf).toEqual([
      expect.objectContaining({ type: 'string' }),
      expect.objectContaining({ type: 'array' }),
    ]);
    expect(run.responses['403']).toBeDefined();
    expect(doc.paths['/api/v1/jobs/{jid}'].get.parameters[0]).toMatchObject({
      name: 'jid',
      in: 'path',
      required: true,
    });
  });
});
