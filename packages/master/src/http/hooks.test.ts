import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from './api.fixture.js';
import { call } from './api-call.fixture.js';
import { verifySignature } from './hooks.js';

const SECRET = 'deploy-secret-0123456789';
let fx: ApiFixture;

beforeAll(async () => {
  fx = await apiFixture({
    minions: { web1: {}, web2: {}, db1: {} },
    hooks: {
      deploy: { secret: SECRET, job: { target: 'web*', fun: 'test.echo', args: ['deploy'] } },
      notify: { secret: 'notify-secret-0123456789' },
    },
  });
});
afterAll(async () => fx?.close());

const sig = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

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
        'x-brine-signature': sig(body, 'notify-secret-0123456789'),
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
  });

  it('runs the configured job as hook:<name>, and the ACL of no user is involved', async () => {
    const body = JSON.stringify({ ref: 'main' });
    const res = await call(fx.app, 'POST', '/hooks/deploy', {
      raw: body,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig(body) },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ success: true, tag: 'brine/hook/deploy', minions: ['web1', 'web2'] });
    const job = fx.s.store.lookupJob(res.json.jid as string)!;
    expect(job.job).toMatchObject({ user: 'hook:deploy', fun: 'test.echo', args: ['deploy'] });
    const audit = fx.logs.find((l) => l['audit'] && l['route'] === '/hooks/:name' && l['jid'] === res.json.jid);
    expect(audit).toMatchObject({ user: 'hook:deploy', fun: 'test.echo', target: 'web*', status: 200 });
  });

  it('counts verified hooks in /metrics', async () => {
    const text = (await call(fx.app, 'GET', '/metrics', { token: fx.adminToken })).text;
    expect(text).toMatch(/^brine_hooks_received_total [1-9]/m);
  });
});
