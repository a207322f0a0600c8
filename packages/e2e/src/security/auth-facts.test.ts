import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { ErrorCode, decodeFrame, encodeFrame } from '@brine/protocol';
import { RawConnection, RawMinion, handshake, newKey, ofType, type HandshakeOptions } from './raw-minion.js';
import { masterHealth, minionUrl, runJob } from './fixtures.js';

// Issue #13, "also missing": grains and the running-jobs list rode in the auth frame outside the
// minion's signature, so whoever could change the frame in transit chose the grains that targeting
// and grain-based ACLs read. A raw minion signs its facts honestly, and a man in the middle then
// rewrites the auth frame (the signature bytes kept): the master must refuse it.
let cluster: Cluster;

beforeAll(async () => {
  cluster = await new Cluster({ minions: ['af-real'] }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

/** Rewrites the auth frame's fields, keeping its signature: what a man in the middle can do. */
function rewriteAuth(change: (auth: Record<string, unknown>) => void): (bytes: Buffer) => Buffer {
  return (bytes) => {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok || decoded.frame.type !== 'auth') throw new Error('not an auth frame');
    const { v: _v, ...auth } = decoded.frame as unknown as Record<string, unknown>;
    change(auth);
    return encodeFrame(auth as Parameters<typeof encodeFrame>[0]);
  };
}

async function attempt(id: string, o: Partial<HandshakeOptions>): Promise<string> {
  const conn = await RawConnection.open(minionUrl(cluster));
  try {
    const r = await handshake(conn, { id, key: newKey(), grains: { id, role: 'web' }, ...o });
    return r.ok ? 'welcome' : r.code;
  } finally {
    conn.terminate();
  }
}

/** The grains the master holds for a minion, or undefined when it does not know it. */
async function grainsOf(id: string): Promise<Record<string, unknown> | undefined> {
  const { status, body } = await cluster.api<{ minion: { grains: Record<string, unknown> } }>(
    'GET',
    `/api/v1/minions/${id}`,
  );
  return status === 200 ? body.minion.grains : undefined;
}

describe('facts in the auth frame', () => {
  it('admits a minion whose grains and running list arrive as it signed them', async () => {
    expect(await attempt('af-honest', { running: ['20240102030405678000'] })).toBe('welcome');
    expect(await grainsOf('af-honest')).toMatchObject({ role: 'web' });
  });

  it('refuses grains, a running list or a token changed in transit, and keeps none of them', async () => {
    const tampers: [string, (a: Record<string, unknown>) => void][] = [
      ['af-grain', (a) => (a['grains'] = { id: 'af-grain', role: 'db' })],
      ['af-grain-added', (a) => (a['grains'] = { ...(a['grains'] as object), admin: true })],
      ['af-running', (a) => (a['running'] = ['20240102030405678000'])],
      ['af-token', (a) => (a['enrollToken'] = 'stolen-token')],
    ];
    for (const [id, change] of tampers) {
      expect(await attempt(id, { tamperAuth: rewriteAuth(change) })).toBe(ErrorCode.SIGNATURE_INVALID);
      expect(await grainsOf(id)).toBeUndefined();
    }
    // A minion that signed other facts than it sent is refused the same way.
    expect(
      await attempt('af-mismatch', { signedFacts: { grains: { id: 'af-mismatch', role: 'db' }, running: [] } }),
    ).toBe(ErrorCode.SIGNATURE_INVALID);
    expect(await masterHealth(cluster)).toEqual({ alive: true, healthy: true, crashes: [] });
    const job = await runJob(cluster, { target: 'af-real', targetType: 'list', fun: 'test.ping' });
    expect(job.minions['af-real']?.outcome).toBe('returned');
  });
});

describe('grains updates after connect', () => {
  it('reach the master from a real minion, signed (grains.setval)', async () => {
    const job = await runJob(cluster, {
      target: 'af-real',
      targetType: 'list',
      fun: 'grains.setval',
      args: ['role', 'signed'],
    });
    expect(job.minions['af-real']?.outcome).toBe('returned');
    await waitFor(
      async () => (await grainsOf('af-real'))?.['role'] === 'signed',
      10_000,
      'the signed update to be stored',
    );
  });

  /** Sends a frame and resolves with the error code the master closed the connection with, if any. */
  async function closedWith(m: RawMinion, frame: Parameters<RawConnection['send']>[0]): Promise<string | undefined> {
    const conn = m.conn!;
    const from = conn.frames.length;
    conn.send(frame);
    // A file.list answered proves the frame before it was handled and the connection is open.
    conn.send({ type: 'file.list', reqId: from + 1, prefix: '' });
    const answer = await conn.next((f): f is typeof f => f.type === 'error' || f.type === 'file.listing', {
      from,
      timeoutMs: 5000,
    });
    return answer?.type === 'error' ? answer.code : undefined;
  }

  it('stores an update signed in the session, and refuses one changed, replayed or from another session', async () => {
    const m = new RawMinion({ url: minionUrl(cluster), id: 'af-updates', grains: { id: 'af-updates', role: 'web' } });
    expect((await m.connect()).ok).toBe(true);
    const signed = m.grainsUpdate({ id: 'af-updates', role: 'app' });
    expect(await closedWith(m, signed)).toBeUndefined();
    await waitFor(async () => (await grainsOf('af-updates'))?.['role'] === 'app', 5000, 'the update to be stored');

    // Changed in transit: the grains differ from those signed.
    const changed = {
      ...m.grainsUpdate({ id: 'af-updates', role: 'db' }),
      grains: { id: 'af-updates', role: 'admin' },
    };
    expect(await closedWith(m, changed)).toBe(ErrorCode.SIGNATURE_INVALID);
    expect((await grainsOf('af-updates'))?.['role']).toBe('app');

    // Replayed in a later session of the same minion: the old session's nonce and number.
    expect((await m.connect()).ok).toBe(true);
    expect(await closedWith(m, signed)).toBe(ErrorCode.SIGNATURE_INVALID);
    // Replayed in the same session: the number does not rise.
    expect((await m.connect()).ok).toBe(true);
    const first = m.grainsUpdate({ id: 'af-updates', role: 'cache' });
    expect(await closedWith(m, first)).toBeUndefined();
    expect(await closedWith(m, first)).toBe(ErrorCode.SIGNATURE_INVALID);
    await waitFor(async () => (await grainsOf('af-updates'))?.['role'] === 'cache', 5000, 'the last good update');
    expect(m.received.filter(ofType('error')).map((f) => f.code)).toEqual(Array(3).fill(ErrorCode.SIGNATURE_INVALID));
    await m.stop();
  });
});
