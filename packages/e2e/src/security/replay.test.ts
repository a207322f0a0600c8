import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { ErrorCode, decodeFrame, encodeFrame, type Frame } from '@brine/protocol';
import { RawMinion, decodeSpec, ofType, type FrameOf } from './raw-minion.js';
import { startRawMaster, type RawMaster, type RawMasterSession } from './raw-master.js';
import { logRecords, mapPool, masterHealth, minionLog, minionUrl, runJob } from './fixtures.js';

// Issue 5, test plan B1 (replay), B2 (cross-target replay) and B3 (tamper, minion side). Jobs
// are captured by an accepted hostile minion, which receives the very bytes every targeted
// minion gets, and replayed to a real minion through a master holding the real key: the
// strongest position an attacker can have short of the key itself. Returns are replayed by the
// hostile minion to the real master.
const REAL = 'rp-m1';
let cluster: Cluster;
let raw: RawMinion;
/** Jobs that targeted both the real minion and the hostile one. */
const shared: string[] = [];
/** Jobs that targeted the real minion only. */
const realOnly: string[] = [];
/** Jobs that targeted the hostile minion only. */
const rawOnly: string[] = [];

beforeAll(async () => {
  cluster = await new Cluster({ minions: [REAL] }).start();
  raw = new RawMinion({ url: minionUrl(cluster), id: 'rp-raw' });
  expect((await raw.connect()).ok).toBe(true);
  const plan = [
    ...Array.from({ length: 100 }, () => [REAL, raw.id]),
    ...Array.from({ length: 20 }, () => [REAL]),
    ...Array.from({ length: 5 }, () => [raw.id]),
  ];
  const jobs = await mapPool(plan, 8, async (target) => {
    const job = await runJob(cluster, { target, targetType: 'list', fun: 'test.ping' });
    for (const id of target) expect(job.minions[id]?.outcome).toBe('returned');
    return { target, jid: job.jid };
  });
  for (const { target, jid } of jobs)
    (target.length === 2 ? shared : target[0] === REAL ? realOnly : rawOnly).push(jid);
}, 60_000);
afterAll(async () => {
  await raw?.stop();
  await cluster?.stop();
});

/** Every job's cache entry, by jid. */
async function snapshot(jids: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const jid of jids) {
    const { status, body } = await cluster.api<{ job: unknown; minions: unknown }>('GET', `/api/v1/jobs/${jid}`);
    expect(status).toBe(200);
    out[jid] = { job: body.job, minions: body.minions };
  }
  return out;
}

/** Lines of the real minion's log with this message, by jid. */
function minionLogCount(msg: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of logRecords(minionLog(cluster, REAL), msg)) {
    const jid = typeof record['jid'] === 'string' ? record['jid'] : '';
    counts.set(jid, (counts.get(jid) ?? 0) + 1);
  }
  return counts;
}

describe('replayed returns', () => {
  /** Sends frames from the hostile minion and waits until the master has acked each (jid, attempt). */
  async function replay(frames: Buffer[]): Promise<void> {
    const conn = raw.conn!;
    const from = conn.frames.length;
    const want = new Set(frames.map((f) => returnKey(f)));
    for (const f of frames) conn.send(f);
    await waitFor(
      () => {
        const acked = new Set(
          conn.frames.slice(from).flatMap((f) => (f.type === 'ret.ack' ? f.items.map(([j, a]) => `${j}-${a}`) : [])),
        );
        return [...want].every((k) => acked.has(k));
      },
      10_000,
      'the master to ack every replayed return',
    );
  }

  function returnKey(bytes: Buffer): string {
    const r = decode(bytes) as FrameOf<'job.return'>;
    return `${r.jid}-${r.attempt}`;
  }

  /** Returns the hostile minion forges for jobs it was never sent, claiming success. */
  function forged(jids: string[]): Buffer[] {
    return jids.map((jid) =>
      encodeFrame({
        type: 'job.return',
        jid,
        attempt: 0,
        fun: 'test.ping',
        outcome: 'returned',
        ret: 'forged',
        retcode: 0,
        success: true,
        startedAt: 0,
        endedAt: 1,
      }),
    );
  }

  it('accepts none of 100 captured returns, nor returns for other minions’ jobs, replayed at once and after a master restart', async () => {
    expect(raw.returns).toHaveLength(105);
    const all = [...shared, ...realOnly, ...rawOnly];
    const before = await snapshot(all);
    const captured = raw.returns.slice();

    await replay([...captured, ...forged(realOnly)]);
    expect(await snapshot(all)).toEqual(before);

    await cluster.killMaster('SIGKILL');
    await cluster.startMaster();
    await cluster.waitConnected([REAL]);
    expect((await raw.connect()).ok).toBe(true);
    await replay([...captured, ...forged(realOnly)]);
    expect(await snapshot(all)).toEqual(before);

    // Nothing is attributed to the hostile minion in a job that did not target it.
    for (const jid of realOnly) {
      const entry = before[jid] as { minions: { id: string; outcome: string }[] };
      expect(entry.minions).toEqual([expect.objectContaining({ id: REAL, outcome: 'returned' })]);
    }
    const health = await masterHealth(cluster);
    expect(health).toEqual({ alive: true, healthy: true, crashes: [] });
  });
});

describe('replayed and tampered jobs, sent to a real minion', () => {
  let master: RawMaster;
  let session: RawMasterSession;

  /** Sends frames to the minion and resolves with the acks it sent for them, in order. */
  async function sendAndCollectAcks(frames: Buffer[], expectAcks: number): Promise<FrameOf<'job.ack'>[]> {
    const from = session.frames.length;
    for (const f of frames) session.send(f);
    await waitFor(
      () => session.frames.slice(from).filter(ofType('job.ack')).length >= expectAcks,
      15_000,
      `${expectAcks} acks from the minion`,
    );
    // Give a straggler time to show itself before counting.
    await new Promise((r) => setTimeout(r, 200));
    return session.frames.slice(from).filter(ofType('job.ack'));
  }

  beforeAll(async () => {
    const port = cluster.endpoints.minionPort;
    await cluster.killMaster('SIGKILL');
    master = await startRawMaster({ port, pkiDir: join(cluster.masterDir, 'pki'), tls: cluster.endpoints.tls });
    session = await master.session(REAL);
  }, 120_000);
  afterAll(async () => {
    await master?.close();
  });

  const sharedPublishes = () => raw.publishes.filter((bytes) => shared.includes(decodeSpec(decodePublish(bytes))!.jid));

  it('runs none of 100 captured jobs replayed at once', async () => {
    const frames = sharedPublishes();
    expect(frames).toHaveLength(100);
    const acks = await sendAndCollectAcks(frames, 100);
    expect(acks.map((a) => a.state)).toEqual(Array(100).fill('duplicate'));
    const accepted = minionLogCount('job accepted');
    for (const jid of shared) expect(accepted.get(jid)).toBe(1);
  });

  it('runs none of them after the minion restarts, its jid log read back from disk', async () => {
    await cluster.killMinion(REAL, 'SIGKILL');
    const next = master.session(REAL);
    cluster.startMinion(REAL);
    session = await next;
    const acks = await sendAndCollectAcks(sharedPublishes(), 100);
    expect(acks.map((a) => a.state)).toEqual(Array(100).fill('duplicate'));
    const accepted = minionLogCount('job accepted');
    for (const jid of shared) expect(accepted.get(jid)).toBe(1);
  });

  it('refuses a job signed for another minion (cross-target replay)', async () => {
    const frames = raw.publishes.filter((bytes) => rawOnly.includes(decodeSpec(decodePublish(bytes))!.jid));
    expect(frames).toHaveLength(5);
    const acks = await sendAndCollectAcks(frames, 5);
    expect(acks.map((a) => [a.state, a.code])).toEqual(Array(5).fill(['refused', ErrorCode.JOB_NOT_TARGETED]));
    const accepted = minionLogCount('job accepted');
    for (const jid of rawOnly) expect(accepted.get(jid)).toBeUndefined();
  });

  it('refuses 1,000 signed jobs with one bit flipped in the spec or the signature, and stays connected', async () => {
    const originals = sharedPublishes().map(decodePublish);
    const flips = fc.sample(
      fc.record({ which: fc.nat(), inSig: fc.boolean(), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      { seed: 11, numRuns: 1000 },
    );
    const tampered = flips.map(({ which, inSig, at, bit }) => {
      const f = originals[which % originals.length]!;
      const spec = Buffer.from(f.spec);
      const sig = Buffer.from(f.sig);
      const target = inSig ? sig : spec;
      target[at % target.length]! ^= 1 << bit;
      return encodeFrame({ type: 'job.publish', spec, sig, proof: f.proof });
    });
    const refusedBefore = minionLogCount('job refused: bad signature or spec').get('') ?? 0;
    // A known duplicate last: its ack proves every frame before it was handled.
    const acks = await sendAndCollectAcks([...tampered, sharedPublishes()[0]!], 1);
    expect(acks.map((a) => a.state)).toEqual(['duplicate']);
    await waitFor(
      () => (minionLogCount('job refused: bad signature or spec').get('') ?? 0) - refusedBefore >= 1000,
      5000,
      'the minion to log 1,000 refusals',
    );
    expect((minionLogCount('job refused: bad signature or spec').get('') ?? 0) - refusedBefore).toBe(1000);
    expect(session.frames.filter((f) => f.type === 'job.return' && !shared.includes(f.jid))).toEqual([]);
    expect(cluster.minions.get(REAL)?.exitCode).toBeNull();
    expect(master.sessions.at(-1)).toBe(session);
  });
});

function decode(bytes: Buffer): Frame {
  const r = decodeFrame(bytes);
  if (!r.ok) throw new Error(r.error.code);
  return r.frame;
}

function decodePublish(bytes: Buffer): FrameOf<'job.publish'> {
  const f = decode(bytes);
  if (f.type !== 'job.publish') throw new Error('not a job.publish');
  return f;
}
