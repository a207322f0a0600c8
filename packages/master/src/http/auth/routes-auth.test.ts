import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';

let fx: ApiFixture;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: {} },
    users: {
      alice: { password: 'pw', groups: ['ops'] },
      admin: { password: 'adm' },
      ci: {},
      locked: { password: 'pw', disabled: true },
      self: { password: 'pw' },
      lead: { password: 'pw' },
    },
    acl: {
      'ops%': ['test.*'],
      admin: [{ '@tokens': ['*'] }],
      ci: [{ 'web*': ['test.ping'] }],
      self: ['@tokens', 'test.ping'],
      lead: [{ '@tokens': ['c*'] }],
    },
  });
});
afterAll(async () => fx?.close());

describe('POST /api/v1/login', () => {
  it('answers an expiring token and the perms of the user and its groups', async () => {
    const res = await call(fx.app, 'POST', '/api/v1/login', { body: { username: 'alice', password: 'pw' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ user: 'alice', perms: ['test.*'], id: res.json.token.split('.')[0] });
    expect(res.json.expiresAt - Date.now()).toBeGreaterThan(3_500_000);
    const who = await call(fx.app, 'GET', '/api/v1/whoami', { token: res.json.token });
    expect(who.json).toEqual({ user: 'alice', tokenId: res.json.id, admin: false, perms: ['test.*'] });
  });

  it('answers the same 401 for a wrong password, an unknown user, a disabled one and one without a password', async () => {
    for (const body of [
      { username: 'alice', password: 'PW' },
      { username: 'zed', password: 'pw' },
      { username: 'locked', password: 'pw' },
      { username: 'ci', password: '' },
    ]) {
      const res = await call(fx.app, 'POST', '/api/v1/login', { body });
      expect(res.json).toEqual({ code: 'ERR_AUTH_REQUIRED', message: 'invalid username or password' });
    }
  });

  it('revokes the token on logout', async () => {
    const { token } = (await call(fx.app, 'POST', '/api/v1/login', { body: { username: 'alice', password: 'pw' } }))
      .json;
    expect((await call(fx.app, 'POST', '/api/v1/logout', { token })).status).toBe(200);
    expect((await call(fx.app, 'GET', '/api/v1/whoami', { token })).status).toBe(401);
  });
});

describe('/api/v1/tokens (@tokens)', () => {
  let admin: string;
  beforeAll(async () => {
    admin = (await call(fx.app, 'POST', '/api/v1/login', { body: { username: 'admin', password: 'adm' } })).json.token;
  });

  it('makes a CI token for a password-less user that runs within that user ACL', async () => {
    const made = await call(fx.app, 'POST', '/api/v1/tokens', {
      token: admin,
      body: { user: 'ci', ttlSeconds: 3600, description: 'github deploy' },
    });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ user: 'ci', kind: 'api', createdBy: 'admin', description: 'github deploy' });
    const ok = await call(fx.app, 'POST', '/api/v1/jobs', {
      token: made.json.token,
      body: { target: 'web1', fun: 'test.ping' },
    });
    expect(ok.status).toBe(202);
    expect(
      (
        await call(fx.app, 'POST', '/api/v1/jobs', {
          token: made.json.token,
          body: { target: 'web1', fun: 'test.echo' },
        })
      ).status,
    ).toBe(403);
    const list = (await call(fx.app, 'GET', '/api/v1/tokens', { token: admin })).json.tokens as Record<
      string,
      unknown
    >[];
    expect(list.find((t) => t['id'] === made.json.id)).toMatchObject({ user: 'ci', description: 'github deploy' });
    expect(JSON.stringify(list)).not.toContain(made.json.token);
    expect((await call(fx.app, 'DELETE', `/api/v1/tokens/${made.json.id}`, { token: admin })).json).toEqual({
      id: made.json.id,
      revoked: true,
      user: 'ci',
    });
    expect(
      (
        await call(fx.app, 'POST', '/api/v1/jobs', {
          token: made.json.token,
          body: { target: 'web1', fun: 'test.ping' },
        })
      ).status,
    ).toBe(401);
  });

  it('refuses a token for root, an unknown or disabled user, or past api.max_token_ttl_s', async () => {
    for (const body of [
      { user: 'root', ttlSeconds: 60 },
      { user: 'zed', ttlSeconds: 60 },
      { user: 'locked', ttlSeconds: 60 },
      { user: 'ci', ttlSeconds: 31 * 86_400 },
    ]) {
      const res = await call(fx.app, 'POST', '/api/v1/tokens', { token: admin, body });
      expect(res.status).toBe(400);
    }
    expect((await call(fx.app, 'DELETE', '/api/v1/tokens/0123456789abcdef', { token: admin })).status).toBe(404);
  });
});

describe('@tokens escalation', () => {
  const login = async (username: string) =>
    (await call(fx.app, 'POST', '/api/v1/login', { body: { username, password: 'pw' } })).json.token as string;
  const mint = (token: string, user: string) =>
    call(fx.app, 'POST', '/api/v1/tokens', { token, body: { user, ttlSeconds: 3600 } });

  it('lets a bare @tokens holder make tokens for itself only', async () => {
    const self = await login('self');
    expect((await mint(self, 'self')).status).toBe(201);
    for (const user of ['alice', 'ci', 'admin', 'lead', 'root']) {
      const res = await mint(self, user);
      expect(res.status, user).toBe(403);
      expect(res.json.code).toBe('ERR_AUTH_FORBIDDEN');
    }
  });

  it("lets {'@tokens': [glob]} make tokens for the users it names, and for itself", async () => {
    const lead = await login('lead');
    expect((await mint(lead, 'ci')).status).toBe(201);
    expect((await mint(lead, 'lead')).status).toBe(201);
    expect((await mint(lead, 'alice')).status).toBe(403);
  });

  it("lists and revokes only the tokens of users it manages; another's answers 404", async () => {
    const self = await login('self');
    const alices = (await call(fx.app, 'POST', '/api/v1/login', { body: { username: 'alice', password: 'pw' } })).json;
    const listed = (await call(fx.app, 'GET', '/api/v1/tokens', { token: self })).json.tokens as { user: string }[];
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((t) => t.user === 'self')).toBe(true);
    expect((await call(fx.app, 'DELETE', `/api/v1/tokens/${alices.id}`, { token: self })).status).toBe(404);
    expect((await call(fx.app, 'GET', '/api/v1/whoami', { token: alices.token })).status).toBe(200);
  });
});
