import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@brine/testing';

// Issue 13 finding 7: a captured signed webhook replayed without limit (5 of 5 replays started a
// job). The signature now covers X-Brine-Timestamp with the body; stale timestamps and seen
// signatures are refused.
const SECRET = 'replay-hook-secret-0123456789';
let cluster: Cluster;

beforeAll(async () => {
  cluster = await new Cluster({
    minions: ['hr-a'],
    master: {
      api: { host: '127.0.0.1', port: 0, hook_max_age_s: 60 },
      hooks: { deploy: { secret: SECRET, job: { target: 'hr-a', fun: 'test.ping' } } },
    },
  }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

/** A request as a sender makes it: HMAC-SHA256 of "<timestamp>.<body>" (docs/api.md). */
function signed(body: string, timestamp: number): Record<string, string> {
  const signature = createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');
  return {
    'content-type': 'application/json',
    'x-brine-timestamp': String(timestamp),
    'x-brine-signature': `sha256=${signature}`,
  };
}

async function post(headers: Record<string, string>, body: string) {
  const res = await fetch(`${cluster.endpoints.api}/hooks/deploy`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as { jid?: string; code?: string; message?: string } };
}

async function hookJobs(): Promise<number> {
  const { body } = await cluster.api<{ jobs: { user: string }[] }>('GET', '/api/v1/jobs?limit=100');
  return body.jobs.filter((j) => j.user === 'hook:deploy').length;
}

describe('a captured signed webhook', () => {
  it('starts one job, and five replays of it start none', async () => {
    const body = JSON.stringify({ ref: 'main', sha: 'abc123' });
    const captured = signed(body, Math.floor(Date.now() / 1000));
    const first = await post(captured, body);
    expect(first.status).toBe(200);
    expect(first.body.jid).toMatch(/^\d{20}$/);
    const replays = [];
    for (let i = 0; i < 5; i++) replays.push(await post(captured, body));
    expect(replays.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(replays[0]!.body).toMatchObject({
      code: 'ERR_AUTH_REQUIRED',
      message: 'this signed request was received before',
    });
    expect(await hookJobs()).toBe(1);
  });

  it('is refused once its timestamp is older than api.hook_max_age_s, or when the timestamp is changed', async () => {
    const body = JSON.stringify({ ref: 'old' });
    const old = Math.floor(Date.now() / 1000) - 61;
    const stale = await post(signed(body, old), body);
    expect(stale.status).toBe(401);
    expect(stale.body.message).toMatch(/x-brine-timestamp is outside the allowed window/);
    // A replayer who moves the timestamp forward breaks the signature.
    const moved = { ...signed(body, old), 'x-brine-timestamp': String(old + 61) };
    expect((await post(moved, body)).status).toBe(401);
    expect(await hookJobs()).toBe(1);
  });
});
