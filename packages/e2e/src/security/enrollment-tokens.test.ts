import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { ErrorCode } from '@brine/protocol';
import { RawMinion, newKey } from './raw-minion.js';
import { mapPool, minionUrl } from './fixtures.js';

// Issue 13, "also missing": enrollment tokens were not attacked in the first pass. A token is
// one-time, expires, may be bound to an id glob, and never overrides a known key. Each attack
// here is a hostile client speaking the handshake by hand with a token it should not profit from.
let cluster: Cluster;
let url: string;

beforeAll(async () => {
  cluster = new Cluster({ autosign: false });
  await cluster.startMaster();
  url = minionUrl(cluster);
});
afterAll(async () => {
  await cluster?.stop();
});

async function makeToken(body: { ttlSeconds?: number; idGlob?: string } = {}) {
  const res = await cluster.api<{ token: string; expiresAt: number }>('POST', '/api/v1/keys/enroll-tokens', body);
  expect(res.status).toBe(201);
  return res.body;
}

/** One handshake as `id` presenting `token` (from its own 127.x address); the refusal code or `welcome`. */
async function present(id: string, token: string, options: { key?: ReturnType<typeof newKey>; from?: string } = {}) {
  const raw = new RawMinion({
    url,
    id,
    enrollToken: token,
    ...(options.key ? { key: options.key } : {}),
    ...(options.from ? { localAddress: options.from } : {}),
  });
  // A connect the master never answers is not an admission: seen once in six CI runs (one guess
  // of 200 stalled); bound it so it counts as such instead of stalling the test to its timeout.
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<{ ok: false; code: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: 'no_answer' }), 15_000);
  });
  const r = await Promise.race([raw.connect(), stalled]);
  clearTimeout(timer);
  await raw.stop();
  return r.ok ? 'welcome' : r.code;
}

async function keyState(id: string): Promise<string | undefined> {
  const { body } = await cluster.api<{ keys: { id: string; state: string }[] }>('GET', '/api/v1/keys');
  return body.keys.find((k) => k.id === id)?.state;
}

describe('enrollment tokens under attack', () => {
  it('admits exactly one of 10 new ids racing with the same token, and none of 5 that reuse it after', async () => {
    const { token } = await makeToken();
    const ids = Array.from({ length: 10 }, (_, i) => `race-${i}`);
    const results = await Promise.all(ids.map((id, i) => present(id, token, { from: `127.0.1.${i + 1}` })));
    expect(results.filter((r) => r === 'welcome')).toHaveLength(1);
    expect(results.filter((r) => r === ErrorCode.KEY_PENDING)).toHaveLength(9);
    const reuse = await mapPool([0, 1, 2, 3, 4], 5, (i) => present(`reuse-${i}`, token, { from: `127.0.2.${i + 1}` }));
    expect(reuse).toEqual(Array(5).fill(ErrorCode.KEY_PENDING));
    console.log(`token race: 10 ids, 1 admitted; 5 reuses after, 0 admitted`);
  });

  it('refuses an expired token', async () => {
    const { token, expiresAt } = await makeToken({ ttlSeconds: 1 });
    await waitFor(() => Date.now() > expiresAt + 50, 5000, 'the token to expire');
    expect(await present('late-1', token)).toBe(ErrorCode.KEY_PENDING);
  });

  it('refuses a token bound to web* for another id, and does not spend it there', async () => {
    const { token } = await makeToken({ idGlob: 'web-*' });
    expect(await present('db-1', token)).toBe(ErrorCode.KEY_PENDING);
    expect(await present('web-1', token)).toBe('welcome');
    expect(await keyState('web-1')).toBe('accepted');
  });

  it('never lets a token take over a known id: a new key for an accepted id is denied', async () => {
    const { token } = await makeToken();
    expect(await present('owned-1', token)).toBe('welcome');
    const { token: second } = await makeToken();
    expect(await present('owned-1', second, { key: newKey() })).toBe(ErrorCode.KEY_DENIED);
    expect(await keyState('owned-1')).toBe('accepted');
    // The second token was not spent on the refused takeover.
    expect(await present('owned-2', second)).toBe('welcome');
  });

  it('admits none of 200 guessed tokens', async () => {
    const t0 = performance.now();
    const results = await mapPool(
      Array.from({ length: 200 }, (_, i) => i),
      8,
      (i) =>
        present(`guess-${i}`, `brine-enroll-${randomBytes(24).toString('base64url')}`, {
          from: `127.0.3.${(i % 200) + 1}`,
        }),
    );
    const ms = performance.now() - t0;
    const counts: Record<string, number> = {};
    for (const r of results) counts[r] = (counts[r] ?? 0) + 1;
    console.log(`200 guessed enrollment tokens in ${ms.toFixed(0)} ms: ${JSON.stringify(counts)}`);
    expect(counts['welcome']).toBeUndefined();
  });
});
