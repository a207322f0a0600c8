import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { ErrorCode } from '@brine/protocol';
import { RawMinion, ofType } from './raw-minion.js';
import { logRecords, masterLog, minionUrl, runJob, sleep } from './fixtures.js';

// Issue 5, test plan A1 and A7: a pending, rejected or unknown-key minion receives nothing, and
// deleting or rejecting a key cuts the connection off.
let cluster: Cluster;
const healthy = ['keys-m1', 'keys-m2'];

beforeAll(async () => {
  cluster = await new Cluster({ minions: healthy, autosign: false }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

async function keyState(id: string): Promise<string | undefined> {
  const { body } = await cluster.api<{ keys: { id: string; state: string }[] }>('GET', '/api/v1/keys');
  return body.keys.find((k) => k.id === id)?.state;
}

describe('minions whose key is not accepted', () => {
  it('delivers none of 10 jobs on * to pending, rejected and unknown-key minions, while accepted ones run all', async () => {
    const url = minionUrl(cluster);
    const accepted = new RawMinion({ url, id: 'keys-raw-accepted' });
    const pending = new RawMinion({ url, id: 'keys-raw-pending' });
    const rejected = new RawMinion({ url, id: 'keys-raw-rejected' });
    // Denied: the id of an accepted minion, with another key.
    const impostor = new RawMinion({ url, id: 'keys-m1' });
    const raws = [accepted, pending, rejected];
    for (const r of raws) r.run();
    await waitFor(
      async () =>
        (await Promise.all([...healthy, ...raws.map((r) => r.id)].map(keyState))).every((s) => s === 'pending'),
      10_000,
      'every key to be pending',
    );
    for (const id of [...healthy, accepted.id]) {
      expect((await cluster.api('POST', `/api/v1/keys/${id}/accept`)).status).toBe(200);
    }
    expect((await cluster.api('POST', `/api/v1/keys/${rejected.id}/reject`)).status).toBe(200);
    // An attempt in flight during the reject may still come back pending: count from the first
    // refusal as rejected.
    await waitFor(() => rejected.attempts.includes(ErrorCode.KEY_REJECTED), 5000, 'a refusal as rejected');
    const rejectedAt = rejected.attempts.indexOf(ErrorCode.KEY_REJECTED);
    await cluster.waitConnected([...healthy, accepted.id]);
    impostor.run();
    await waitFor(() => impostor.attempts.length > 0, 5000, 'the impostor to try');

    const attemptsBefore = [pending, rejected, impostor].map((r) => r.attempts.length);
    for (let i = 0; i < 10; i++) {
      const job = await runJob(cluster, { target: '*', fun: 'test.ping' });
      expect(Object.keys(job.minions).sort()).toEqual([accepted.id, ...healthy].sort());
      for (const row of Object.values(job.minions)) expect(row.outcome).toBe('returned');
      // Spread the jobs over a second or so, so the refused minions knock again meanwhile.
      await sleep(120);
    }
    await Promise.all([accepted, pending, rejected, impostor].map((r) => r.stop()));

    expect(accepted.ofType('job.publish')).toHaveLength(10);
    for (const r of [pending, rejected, impostor]) {
      // They kept knocking during the jobs, and got no job and no welcome.
      expect(r.attempts.length).toBeGreaterThan(attemptsBefore[[pending, rejected, impostor].indexOf(r)]!);
      expect(r.received.filter(ofType('job.publish'))).toHaveLength(0);
      expect(r.attempts).not.toContain('welcome');
      expect(new Set(r.received.map((f) => f.type))).toEqual(new Set(['challenge', 'auth.refused']));
    }
    // stop() may cut one attempt still in its handshake ('closed'); every other attempt was refused.
    const refusals = (attempts: string[]) => {
      expect(attempts.filter((a) => a === 'closed').length).toBeLessThanOrEqual(1);
      return new Set(attempts.filter((a) => a !== 'closed'));
    };
    expect(refusals(pending.attempts)).toEqual(new Set([ErrorCode.KEY_PENDING]));
    expect(refusals(rejected.attempts.slice(rejectedAt))).toEqual(new Set([ErrorCode.KEY_REJECTED]));
    expect(refusals(impostor.attempts)).toEqual(new Set([ErrorCode.KEY_DENIED]));
    // The real keys-m1 was never displaced by its impostor.
    expect(await keyState('keys-m1')).toBe('accepted');
    const states = new Set(logRecords(masterLog(cluster), 'minion not admitted').map((r) => r['keyState']));
    expect(states).toEqual(new Set(['pending', 'rejected', 'denied']));
  });
});

describe('changing an accepted key', () => {
  async function connectedRaw(id: string): Promise<RawMinion> {
    const raw = new RawMinion({ url: minionUrl(cluster), id });
    expect((await raw.connect()).ok).toBe(false);
    await cluster.api('POST', `/api/v1/keys/${id}/accept`);
    expect((await raw.connect()).ok).toBe(true);
    return raw;
  }

  it.each([
    ['deleting', 'DELETE', ''],
    ['rejecting', 'POST', '/reject'],
  ])('closes the connection within a second of %s the key', async (_what, method, suffix) => {
    const raw = await connectedRaw(`keys-cut-${method.toLowerCase()}`);
    const conn = raw.conn!;
    const t0 = performance.now();
    const res = await cluster.api(method, `/api/v1/keys/${raw.id}${suffix}`);
    expect(res.status).toBe(200);
    const closed = await Promise.race([
      conn.closed,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000)),
    ]);
    expect(closed, 'the connection is still open after 1 s').toBeDefined();
    expect(closed!.at - t0).toBeLessThan(1000);
    expect(await cluster.connected()).not.toContain(raw.id);
    // It comes back to nothing: pending after a delete, rejected after a reject.
    const again = await raw.connect();
    expect(again.ok).toBe(false);
    expect(again.ok ? '' : again.code).toBe(method === 'DELETE' ? ErrorCode.KEY_PENDING : ErrorCode.KEY_REJECTED);
    await raw.stop();
  });
});
