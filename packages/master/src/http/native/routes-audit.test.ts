import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';

let fx: ApiFixture;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: {} },
    users: { alice: { password: 'pw-alice-123456' }, auditor: { password: 'pw-auditor-123456' } },
    acl: { alice: ['test.*'], auditor: ['@audit'] },
  });
});
afterAll(async () => fx?.close());

describe('GET /api/v1/audit', () => {
  it('lists each request as its audit line says it, newest first, filtered by user and outcome', async () => {
    const alice = fx.tokenFor('alice');
    await call(fx.app, 'POST', '/api/v1/jobs?wait=true', { token: alice, body: { target: 'web1', fun: 'test.ping' } });
    await call(fx.app, 'POST', '/api/v1/jobs', {
      token: alice,
      body: { target: 'web1', fun: 'cmd.run', args: ['id'] },
    });
    const res = await call(fx.app, 'GET', '/api/v1/audit?user=alice', { token: fx.tokenFor('auditor') });
    expect(res.status).toBe(200);
    const entries = res.json.entries as Record<string, unknown>[];
    expect(entries.map((e) => [e['fun'], e['outcome']])).toEqual([
      ['cmd.run', 'denied'],
      ['test.ping', 'ok'],
    ]);
    const line = fx.logs.find((l) => l['audit'] === true && l['fun'] === 'test.ping')!;
    const { audit: _audit, level: _l, time: _t, pid: _p, hostname: _h, msg: _m, ...fields } = line;
    expect(entries[1]).toEqual({ at: expect.any(Number), ...fields });
    const denied = await call(fx.app, 'GET', '/api/v1/audit?outcome=denied&limit=1', { token: fx.adminToken });
    expect(denied.json.entries).toHaveLength(1);
    expect(denied.json.entries[0]).toMatchObject({ user: 'alice', code: 'ERR_AUTH_FORBIDDEN' });
  });

  it('refuses a user without @audit and a bad filter', async () => {
    const alice = fx.tokenFor('alice');
    expect((await call(fx.app, 'GET', '/api/v1/audit', { token: alice })).status).toBe(403);
    const bad = await call(fx.app, 'GET', '/api/v1/audit?limit=5000', { token: fx.adminToken });
    expect(bad.status).toBe(400);
  });
});
