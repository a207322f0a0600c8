import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';
import { MAX_TARGET_CHARS } from './job-access.js';

let fx: ApiFixture;
let web: string;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: { machine_id: 'a'.repeat(32) }, db1: { machine_id: 'b'.repeat(32) } },
    users: { web: {}, tester: {} },
    acl: { web: [{ 'web*': ['test.ping'] }], tester: [{ '*': ['test.*'] }] },
  });
  web = fx.tokenFor('web');
});
afterEach(() => vi.restoreAllMocks());
afterAll(async () => fx?.close());

const run = (token: string, body: Record<string, unknown>) => call(fx.app, 'POST', '/api/v1/jobs', { token, body });

describe('the ACL answers before the target is evaluated (issue #13 finding 2)', () => {
  it('refuses an ungranted function with 403 without resolving its target against the fleet', async () => {
    const preview = vi.spyOn(fx.s.manager, 'preview');
    const res = await run(web, {
      target: 'machine_id:(.|.)*!',
      targetType: 'grain_pcre',
      fun: 'cmd.run',
      args: ['id'],
    });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('ERR_AUTH_FORBIDDEN');
    expect(preview).not.toHaveBeenCalled();
  });

  it('answers 403, not 400, to a malformed target from a user without the function', async () => {
    const res = await run(web, { target: 'G@os:Debian and (', targetType: 'compound', fun: 'cmd.run', args: ['id'] });
    expect(res.status).toBe(403);
  });

  it('does the same for salt-api local clients', async () => {
    const preview = vi.spyOn(fx.s.manager, 'preview');
    const res = await call(fx.app, 'POST', '/', {
      headers: { 'x-auth-token': web, accept: 'application/json' },
      body: [{ client: 'local', tgt: 'E@(.|.)*!', tgt_type: 'compound', fun: 'cmd.run', arg: ['id'] }],
    });
    expect([401, 403]).toContain(res.status);
    expect(preview).not.toHaveBeenCalled();
  });

  it('still resolves the target of a granted function, and checks every minion it selects', async () => {
    const preview = vi.spyOn(fx.s.manager, 'preview');
    expect((await run(web, { target: '*', fun: 'test.ping' })).status).toBe(403);
    expect(preview).toHaveBeenCalled();
    expect((await run(web, { target: 'web1', fun: 'test.ping' })).status).toBe(202);
  });
});

describe('the target length cap', () => {
  it(`refuses a target over ${MAX_TARGET_CHARS} characters with 400 ERR_TARGET_TOO_LONG, the admin's too`, async () => {
    const long = `web1 or ${'x'.repeat(MAX_TARGET_CHARS)}`;
    for (const token of [fx.adminToken, web]) {
      const res = await run(token, { target: long, targetType: 'compound', fun: 'test.ping' });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('ERR_TARGET_TOO_LONG');
    }
    const listed = await run(fx.adminToken, {
      target: ['x'.repeat(MAX_TARGET_CHARS + 1)],
      targetType: 'list',
      fun: 'test.ping',
    });
    expect(listed.json.code).toBe('ERR_TARGET_TOO_LONG');
  });

  it('caps each id of a list target, not the list', async () => {
    const ids = ['web1', ...Array.from({ length: 400 }, (_, i) => `absent-minion-${i}`)];
    const res = await run(fx.adminToken, { target: ids, targetType: 'list', fun: 'test.ping' });
    expect(res.status).toBe(202);
  });
});

describe('several functions in one job', () => {
  it("checks each function against the ACL: a 'test.*' grant does not cover 'test.ping,cmd.run'", async () => {
    const tester = fx.tokenFor('tester');
    const res = await run(tester, { target: '*', fun: 'test.ping,cmd.run', args: [[], ['id']] });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('ERR_AUTH_FORBIDDEN');
    const listed = await run(tester, { target: '*', fun: ['test.ping', 'cmd.run'], args: [[], ['id']] });
    expect(listed.status).toBe(403);
    expect((await run(tester, { target: '*', fun: 'test.ping,test.echo', args: [[], ['hi']] })).status).toBe(202);
  });

  it('refuses a compound job whose args are not one list per function with 400', async () => {
    const res = await run(fx.adminToken, { target: '*', fun: 'test.ping,test.echo', args: ['hi'] });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('ERR_REQUEST_INVALID');
  });
});
