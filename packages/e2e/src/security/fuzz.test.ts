import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '@brine/testing';
import { FRAME_TYPES, encodeFrame, encodeValue } from '@brine/protocol';
import { RawConnection, RawMinion, anyFrame, newKey, ofType } from './raw-minion.js';
import { SAMPLES } from './frame-samples.js';
import { mapPool, masterHealth, minionUrl, runJob, sleep, spliceValue } from './fixtures.js';

// Issue 5, test plan C3: 10 seeds x 1,000 random and mutated frames against each channel of a
// real master (before authentication, and as an accepted minion), while a real minion runs jobs.
// Plain ws on loopback: the target is frame handling, and TLS handshakes would triple the time.
const SEEDS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
const FRAMES_PER_SEED = 1000;
const REAL = 'fz-real';
let cluster: Cluster;
let url: string;
let jobs: Promise<void> | undefined;
let fuzzing = true;
const jobOutcomes: string[] = [];

beforeAll(async () => {
  cluster = await new Cluster({ minions: [REAL], master: { insecure_plain_ws: true } }).start();
  url = minionUrl(cluster);
  // The healthy minion's jobs, one after another for as long as the fuzzing lasts.
  jobs = (async () => {
    while (fuzzing) {
      const job = await runJob(cluster, { target: REAL, targetType: 'list', fun: 'test.ping' });
      jobOutcomes.push(job.minions[REAL]?.outcome ?? `http ${job.status}`);
      await sleep(100);
    }
  })();
});
afterAll(async () => {
  fuzzing = false;
  await jobs;
  await cluster?.stop();
});

const anyString = fc.string({ unit: 'binary', maxLength: 200 });
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty');
const data: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(fc.oneof(hostileKey, anyString), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true }),
);
const jid = fc.oneof(fc.stringMatching(/^\d{20}$/), anyString);

/** Frames of the types a minion sends, with field values that are mostly right. */
const minionFrame = fc.oneof(
  fc.record({
    type: fc.constant('event'),
    tag: fc.oneof(anyString, fc.constantFrom('../x', 'a//b', '/brine/job/1')),
    data,
  }),
  fc.record({
    type: fc.constant('job.return'),
    jid,
    attempt: fc.integer(),
    fun: anyString,
    outcome: fc.constantFrom('returned', 'interrupted', 'cancelled', 'timed_out', 'other'),
    ret: data,
    retcode: fc.integer(),
    success: fc.boolean(),
    startedAt: fc.double(),
    endedAt: fc.double(),
  }),
  fc.record({
    type: fc.constant('job.ack'),
    jid,
    attempt: fc.integer(),
    state: fc.constantFrom('started', 'duplicate', 'refused', 'x'),
  }),
  fc.record({
    type: fc.constant('job.progress'),
    jid,
    seq: fc.integer(),
    stream: fc.constantFrom('stdout', 'stderr'),
    data: anyString,
  }),
  fc.record({
    type: fc.constant('grains.update'),
    grains: fc.dictionary(fc.oneof(hostileKey, anyString), data, { maxKeys: 5 }),
    seq: fc.integer(),
    sig: fc.uint8Array({ maxLength: 80 }),
  }),
  fc.record({ type: fc.constant('file.request'), reqId: fc.integer(), path: anyString, offset: fc.integer() }),
  fc.record({ type: fc.constant('file.list'), reqId: fc.integer(), prefix: anyString }),
  fc.record({ type: fc.constant('error'), code: anyString, message: anyString }),
);

/** Frames of the types a minion sends that pass the schema, carrying hostile strings and data. */
const validJid = fc.stringMatching(/^\d{20}$/);
const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 5 }),
  fc.dictionary(fc.oneof(hostileKey, anyString), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
);
const validMinionFrame: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc.record({
      type: fc.constant('event' as const),
      tag: fc.string({ unit: 'binary', minLength: 1, maxLength: 256 }),
      data: jsonish,
    }),
    fc.record({
      type: fc.constant('job.return' as const),
      jid: validJid,
      attempt: fc.nat(100),
      fun: fc.string({ maxLength: 128 }),
      outcome: fc.constantFrom('returned' as const, 'interrupted' as const, 'cancelled' as const, 'timed_out' as const),
      ret: jsonish,
      retcode: fc.integer(),
      success: fc.boolean(),
      startedAt: fc.double(),
      endedAt: fc.double(),
    }),
    fc.record({
      type: fc.constant('job.ack' as const),
      jid: validJid,
      attempt: fc.nat(100),
      state: fc.constantFrom('started' as const, 'duplicate' as const, 'refused' as const),
    }),
    fc.record({
      type: fc.constant('job.progress' as const),
      jid: validJid,
      seq: fc.nat(),
      stream: fc.constantFrom('stdout' as const, 'stderr' as const),
      data: anyString,
    }),
    fc.record({
      type: fc.constant('grains.update' as const),
      grains: fc.dictionary(fc.oneof(hostileKey, anyString), jsonish, { maxKeys: 5 }),
      // Made before any session, so the signature never verifies: these reach the signature check.
      seq: fc.integer({ min: 1, max: 2 ** 31 }),
      sig: fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b)),
    }),
    fc.record({
      type: fc.constant('file.request' as const),
      reqId: fc.nat(),
      path: fc.string({ unit: 'binary', maxLength: 300 }),
      offset: fc.nat(),
    }),
    fc.record({
      type: fc.constant('file.list' as const),
      reqId: fc.nat(),
      prefix: fc.string({ unit: 'binary', maxLength: 300 }),
    }),
  )
  .map((f) => encodeFrame(f));

/** Valid frames of every type, to mutate. */
const VALID = FRAME_TYPES.map((t) => encodeFrame(SAMPLES[t]));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('splice' as const),
    other: fc.nat(),
    from: fc.nat(),
    length: fc.integer({ min: 1, max: 64 }),
    at: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Buffer, m: Mutation): Buffer {
  const at = m.at % (bytes.length + 1);
  switch (m.kind) {
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      copy[at % bytes.length]! ^= 1 << m.bit;
      return copy;
    }
    case 'truncate':
      return bytes.subarray(0, at);
    case 'splice': {
      const other = VALID[m.other % VALID.length]!;
      const from = m.from % other.length;
      return Buffer.concat([bytes.subarray(0, at), other.subarray(from, from + m.length), bytes.subarray(at)]);
    }
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
  }
}

/** msgpack values a JSON encoder cannot produce: 64-bit ints, cycles, typed arrays, sets, deep nesting. */
const EXOTIC = [
  'cfffffffffffffffff',
  'd38000000000000000',
  'd6690000000191d67000000001',
  'c70974090100000000000000',
  'd473009101',
  'd4780092a178a167',
  '91'.repeat(200) + 'c0',
  '81a161'.repeat(100) + 'c0',
].map((hex) => Buffer.from(hex, 'hex'));

/** A frame of a type that carries data, valid up to that data, which is one of {@link EXOTIC}. */
function withExoticData(type: 'event' | 'grains.update' | 'job.return', which: number): Buffer {
  const marker = 'EXOTIC';
  const frame =
    type === 'event'
      ? encodeFrame({ type, tag: 't', data: marker })
      : type === 'grains.update'
        ? encodeFrame({ type, grains: { g: marker }, seq: 1, sig: Buffer.alloc(64) })
        : encodeFrame({ ...SAMPLES['job.return'], ret: marker });
  return spliceValue(frame, marker, EXOTIC[which % EXOTIC.length]!);
}

function safeEncode(value: unknown): Buffer {
  try {
    return encodeValue(value);
  } catch {
    return Buffer.from([0xc1]);
  }
}

/** Random and mutated frames: bytes, msgpack values, frame-shaped maps, minion frames, mutations, exotic data. */
const fuzzFrame: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b)),
  fc.anything({ maxDepth: 3, withBigInt: true, withTypedArray: true }).map(safeEncode),
  fc
    .record({
      v: fc.oneof(fc.constant(1), fc.anything({ maxDepth: 1 })),
      type: fc.oneof(fc.constantFrom(...FRAME_TYPES), anyString),
      rest: fc.dictionary(anyString, fc.anything({ maxDepth: 2 }), { maxKeys: 6 }),
    })
    .map(({ v, type, rest }) => safeEncode({ ...rest, v, type })),
  minionFrame.map((f) => safeEncode({ v: 1, ...f })),
  fc
    .tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([i, ms]) => ms.reduce(mutate, VALID[i % VALID.length]!)),
  fc
    .tuple(fc.constantFrom('event' as const, 'grains.update' as const, 'job.return' as const), fc.nat())
    .map(([t, i]) => withExoticData(t, i)),
);

async function expectMasterUp(): Promise<void> {
  expect(await masterHealth(cluster)).toEqual({ alive: true, healthy: true, crashes: [] });
}

describe('fuzzing the unauthenticated channel', () => {
  it.each(SEEDS)('seed %i: 1,000 frames on fresh connections authenticate nothing and crash nothing', async (seed) => {
    const frames = fc.sample(fuzzFrame, { seed, numRuns: FRAMES_PER_SEED });
    const key = newKey();
    const welcomed = await mapPool(frames, 16, async (bytes, i) => {
      const conn = await RawConnection.open(url);
      // One in four after a valid hello, to reach the auth state.
      if (i % 4 === 3) {
        conn.send({ ...SAMPLES.hello, id: `fz-hello-${i}`, pub: key.publicRaw });
        await conn.next(ofType('challenge'), { timeoutMs: 2000 });
      }
      const from = conn.frames.length;
      conn.send(bytes);
      // Every frame before authentication gets an answer: a challenge, a verdict or an error.
      await conn.next(anyFrame, { from, timeoutMs: 2000 });
      conn.terminate();
      return conn.frames.some((f) => f.type === 'welcome');
    });
    expect(welcomed.filter(Boolean)).toHaveLength(0);
    await expectMasterUp();
  });
});

describe('fuzzing the authenticated channel', () => {
  let minion: RawMinion;
  let reconnects = 0;
  beforeAll(async () => {
    minion = new RawMinion({ url, id: 'fz-auth', answerJobs: false });
    expect((await minion.connect()).ok).toBe(true);
  });
  afterAll(async () => {
    await minion?.stop();
  });

  /** Sends one frame, then a `file.list` whose answer proves the master handled the frame. */
  async function sendAndSync(bytes: Buffer, reqId: number): Promise<void> {
    if (!minion.conn?.isOpen) {
      reconnects++;
      const r = await minion.connect();
      if (!r.ok) throw new Error(`reconnect refused: ${r.code}`);
    }
    const conn = minion.conn!;
    const from = conn.frames.length;
    conn.send(bytes);
    conn.send({ type: 'file.list', reqId, prefix: '' });
    await conn.next((f): f is typeof f => f.type === 'file.listing' && f.reqId === reqId, { from, timeoutMs: 5000 });
  }

  it.each(SEEDS)('seed %i: 1,000 frames from an accepted minion crash nothing', async (seed) => {
    // Mostly frames that pass the schema, so most reach the handlers behind it.
    const arbitrary = fc.oneof({ arbitrary: validMinionFrame, weight: 3 }, { arbitrary: fuzzFrame, weight: 2 });
    const frames = fc.sample(arbitrary, { seed: seed + 1000, numRuns: FRAMES_PER_SEED });
    for (let i = 0; i < frames.length; i++) await sendAndSync(frames[i]!, seed * 10_000 + i);
    await expectMasterUp();
  });

  it('kept the healthy minion running its jobs throughout', async () => {
    expect(reconnects).toBeGreaterThan(0);
    expect(jobOutcomes.length).toBeGreaterThan(10);
    expect(jobOutcomes.filter((o) => o !== 'returned')).toEqual([]);
    const job = await runJob(cluster, { target: REAL, targetType: 'list', fun: 'test.ping' });
    expect(job.minions[REAL]?.outcome).toBe('returned');
    // Nothing the fuzzer sent authenticated another minion.
    const connected = await cluster.connected();
    expect(connected).toContain(REAL);
    expect(connected.filter((id) => id !== REAL && id !== 'fz-auth')).toEqual([]);
  });
});
