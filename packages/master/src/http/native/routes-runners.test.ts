import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';

let fx: ApiFixture;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: { os: 'Debian' } },
    users: { runner: {}, demo: {}, pinger: {} },
    acl: { runner: ['@runner'], demo: [{ '@runner': ['demo.*'] }], pinger: ['test.ping'] },
  });
});
afterAll(async () => fx?.close());

const runRunner = (user: string, fun: string, body: Record<string, unknown>) =>
  call(fx.app, 'POST', `/api/v1/runners/${fun}`, { token: fx.tokenFor(user), body });

describe('POST /api/v1/runners/:fun', () => {
  it('runs a custom runner for a @runner user, as that user', async () => {
    const res = await runRunner('runner', 'demo.echo', { args: ['hi'] });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ret: { text: 'hi', user: 'runner' } });
  });

  it('allows a @runner glob that names the function', async () => {
    expect((await runRunner('demo', 'demo.echo', { kwargs: { text: 'x' } })).status).toBe(200);
  });

  it('refuses with 403 a user without @runner, before looking the runner up', async () => {
    for (const fun of ['demo.echo', 'nosuch.fun']) {
      const res = await runRunner('pinger', fun, {});
      expect(res.status).toBe(403);
      expect(res.json.code).toBe('ERR_AUTH_FORBIDDEN');
    }
  });

  it('answers 404 for a runner that does not exist and 400 naming a bad argument', async () => {
    expect((await runRunner('runner', 'nosuch.fun', {})).status).toBe(404);
    const bad = await runRunner('runner', 'demo.echo', { kwargs: { text: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('text');
  });
});
