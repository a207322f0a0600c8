import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';
import { hookHeaders, nowS } from '../auth-matrix.fixture.js';
import { verifySignature } from './hooks.js';

const SECRET = 'deploy-secret-0123456789';
let fx: ApiFixture;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: {}, web2: {}, db1: {} },
    hooks: {
      deploy: { secret: SECRET, job: { target: 'web*', fun: 'test.echo', args: ['deploy'] } },
      notify: { secret: 'notify-secret-0123456789' },
      github: { secret: 'github-secret-0123456789', untimed: true },
    },
  });
});
afterAll(async () => fx?.close());

const sig = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
let second = nowS() - 200;
/** Signed headers for a new second each time: the master refuses a signature it has seen. */
const signed = (body: string, secret = SECRET) => hookHeaders(body, secret, ++second);

describe('verifySignature', () => {
  it('accepts sha256=<hex> of the exact body and refuses anything else', () => {
    const key = Buffer.from(SECRET);
    const body = Buffer.from('{"a":1}');
    expect(verifySignature(key, body, sig('{"a":1}'))).toBe(true);
    expect(verifySignature(key, body, ` ${sig('{"a":1}')} `)).toBe(true);
    for (const bad of [
      undefined,
      '',
      'sha256=',
      sig('{"a":2}'),
      sig('{"a":1}').replace('sha256', 'sha1'),
      `${sig('{"a":1}')}00`,
      ['x'],
    ])
      expect(verifySignature(key, body, bad)).toBe(false);
  });
});

describe('POST /hooks/:name', () => {
  it('fires brine/hook/<name> with the parsed and raw body, without the signature header', async () => {
    const seen: { tag: string; data: { post: unknown; body: string; headers: Record<string, string> } }[] = [];
    const sub = fx.s.bus.events$(['brine/hook/*']).subscribe((e) => seen.push(e as (typeof seen)[number]));
    const body = 'ref=main&sha=abc';
    const res = await call(fx.app, 'POST', '/hooks/notify', {
      raw: body,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signed(body, 'notify-secret-0123456789'),
        'x-github-event': 'push',
      },
    });
    sub.unsubscribe();
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: true, tag: 'brine/hook/notify' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.data).toMatchObject({
      post: { ref: 'main', sha: 'abc' },
      body,
      headers: { 'x-github-event': 'push' },
    });
    expect(seen[0]!.data.headers['x-brine-signature']).toBeUndefined();
    expect(seen[0]!.data.headers['x-brine-timestamp']).toBe(String(second));
  });

  it('runs the configured job as hook:<name>, and the ACL of no user is involved', async () => {
    const body = JSON.stringify({ ref: 'main' });
    const res = await call(fx.app, 'POST', '/hooks/deploy', {
      raw: body,
      headers: { 'content-type': 'application/json', ...signed(body) },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ success: true, tag: 'brine/hook/deploy', minions: ['web1', 'web2'] });
    const job = fx.s.store.lookupJob(res.json.jid as string)!;
    expect(job.job).toMatchObject({ user: 'hook:deploy', fun: 'test.echo', args: ['deploy'] });
    const audit = fx.logs.find((l) => l['audit'] && l['route'] === '/hooks/:name' && l['jid'] === res.json.jid);
    expect(audit).toMatchObject({ user: 'hook:deploy', fun: 'test.echo', target: 'web*', status: 200 });
  });

  it('refuses a replay of a signed request, and the same body signed at another second runs again', async () => {
    const body = '{"ref":"replay"}';
    const headers = { 'content-type': 'application/json', ...signed(body) };
    expect((await call(fx.app, 'POST', '/hooks/deploy', { raw: body, headers })).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const again = await call(fx.app, 'POST', '/hooks/deploy', { raw: body, headers });
      expect(again.status).toBe(401);
      expect(again.json).toMatchObject({
        code: 'ERR_AUTH_REQUIRED',
        message: 'this signed request was received before',
      });
    }
    const fresh = { 'content-type': 'application/json', ...signed(body) };
    expect((await call(fx.app, 'POST', '/hooks/deploy', { raw: body, headers: fresh })).status).toBe(200);
  });

  it('accepts a body-only signature (GitHub) on an untimed hook, once, and nowhere else', async () => {
    const body = '{"zen":"hi"}';
    const github = { 'content-type': 'application/json', 'x-hub-signature-256': sig(body, 'github-secret-0123456789') };
    expect((await call(fx.app, 'POST', '/hooks/github', { raw: body, headers: github })).status).toBe(200);
    expect((await call(fx.app, 'POST', '/hooks/github', { raw: body, headers: github })).status).toBe(401);
    const bodyOnly = { 'content-type': 'application/json', 'x-brine-signature': sig(body) };
    expect((await call(fx.app, 'POST', '/hooks/deploy', { raw: body, headers: bodyOnly })).status).toBe(401);
  });

  it('answers an unknown hook, a missing timestamp and a bad signature alike', async () => {
    const body = '{"probe":1}';
    const headers = { 'content-type': 'application/json' };
    const answers = await Promise.all([
      call(fx.app, 'POST', '/hooks/nohook', { raw: body, headers: { ...headers, ...signed(body) } }),
      call(fx.app, 'POST', '/hooks/nohook', { raw: body, headers: { ...headers, 'x-brine-signature': sig(body) } }),
      call(fx.app, 'POST', '/hooks/github', { raw: body, headers: { ...headers, 'x-brine-signature': sig(body) } }),
      call(fx.app, 'POST', '/hooks/deploy', { raw: body, headers: { ...headers, 'x-brine-signature': sig(body) } }),
    ]);
    expect(new Set(answers.map((a) => JSON.stringify([a.status, a.json])))).toHaveLength(1);
    expect(answers[0]!.status).toBe(401);
  });

  it('counts verified hooks in /metrics', async () => {
    const text = (await call(fx.app, 'GET', '/metrics', { token: fx.adminToken })).text;
    expect(text).toMatch(/^brine_hooks_received_total [1-9]/m);
  });
});
