import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { ErrorCode, FRAME_TYPES, decodeFrame, encodeFrame, type FrameType } from '@brine/protocol';
import { RawConnection, RawMinion, handshake, newKey, ofType } from './raw-minion.js';
import { SAMPLES } from './frame-samples.js';
import { listFiles, mapPool, masterHealth, minionUrl, runJob } from './fixtures.js';

// Issue 5, test plan A2, A5, A8, B3 (handshake side) and C2: what an unauthenticated peer can
// make the master do. One master for the file; every test leaves it healthy for the next.
let cluster: Cluster;
let url: string;
const MAX_AUTHENTICATING = 64;

beforeAll(async () => {
  cluster = await new Cluster({
    minions: ['hs-real'],
    master: { max_authenticating: MAX_AUTHENTICATING },
  }).start();
  url = minionUrl(cluster);
});
afterAll(async () => {
  await cluster?.stop();
});

/** The files under the master's state dir that hold keys (pki/) or per-minion data (minions/). */
/** Whether the master's grains journal has a line for `id`. */
function grainsCached(id: string): boolean {
  const file = join(cluster.masterDir, 'minions', 'grains.jsonl');
  return existsSync(file) && readFileSync(file, 'utf8').includes(`{"id":${JSON.stringify(id)},`);
}

function keyAndCacheFiles(): string[] {
  return listFiles(cluster.masterDir).filter((f) => f.startsWith('pki/') || f.startsWith('minions/'));
}

async function expectHealthy(): Promise<void> {
  const health = await masterHealth(cluster);
  expect(health).toEqual({ alive: true, healthy: true, crashes: [] });
  const job = await runJob(cluster, { target: 'hs-real', targetType: 'list', fun: 'test.ping' });
  expect(job.minions['hs-real']?.outcome).toBe('returned');
}

const ID_CHARS = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const BAD_INFIX = [
  '/',
  '\\',
  '..',
  '\0',
  '\n',
  '\r',
  '\t',
  '\x1b',
  '\x7f',
  ' ',
  '%2f',
  '*',
  '?',
  '|',
  '"',
  '$',
  '`',
  ';',
];
const HOMOGLYPHS = ['\u0430', '\u0435', '\u043e', '\u0131', '\u200b', '\u202e', '\uff0f', '\u2215', 'é'];
const LEADING = ['-', '.', '_', '@', '+', ':', '..', '../', '/', '~'];

/** Minion ids that must be refused: traversal, separators, control characters, homoglyphs, leading punctuation, length. */
function malformedIds(count: number, seed: number): string[] {
  const word = fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 12 });
  const id = fc.oneof(
    fc.tuple(word, fc.constantFrom(...BAD_INFIX, ...HOMOGLYPHS), word).map(([a, b, c]) => a + b + c),
    fc.tuple(fc.constantFrom(...LEADING), word).map(([a, b]) => a + b),
    fc.integer({ min: 129, max: 2000 }).map((n) => 'a'.repeat(n)),
    fc.constantFrom('', '.', '..', '../../escaped', '../../../escaped', 'a/../../escaped', '..\\..\\escaped'),
    fc
      .string({ unit: 'binary', minLength: 1, maxLength: 40 })
      .filter((s) => /[^A-Za-z0-9._@+:-]/.test(s) || !/^[A-Za-z0-9]/.test(s)),
  );
  return fc.sample(fc.uniqueArray(id, { minLength: count, maxLength: count }), { seed, numRuns: 1 })[0]!;
}

describe('minion ids in hello', () => {
  it('refuses 500 malformed ids and creates no file for any of them', async () => {
    // The healthy minion's grains cache lands a second after it connects (MinionCache.save).
    await waitFor(() => grainsCached('hs-real'), 10_000, 'the grains cache');
    const before = keyAndCacheFiles();
    const ids = malformedIds(500, 42);
    expect(new Set(ids).size).toBe(500);
    const key = newKey();
    const results = await mapPool(ids, 8, async (id) => {
      const conn = await RawConnection.open(url);
      const r = await handshake(conn, { id, key });
      conn.terminate();
      return r;
    });
    const codes = new Set(results.map((r) => (r.ok ? 'welcome' : r.code)));
    // Over 255 characters (or empty) fails the frame schema; the rest the id check.
    expect([...codes].sort()).toEqual([ErrorCode.FRAME_SCHEMA, ErrorCode.MINION_ID_INVALID].sort());
    for (const r of results) expect(r.ok || r.frames?.challenge).toBeFalsy();
    expect(keyAndCacheFiles()).toEqual(before);
    expect(listFiles(cluster.dir).filter((f) => f.includes('escaped'))).toEqual([]);
    await expectHealthy();
  });
});

/** Flips one bit of `field`'s bytes where they appear in `bytes`, in a copy. */
function flipWithin(bytes: Buffer, field: Uint8Array, at: number, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bytes.indexOf(field) + (at % field.length)]! ^= 1 << bit;
  return copy;
}

describe('tampered handshakes', () => {
  it('welcomes an untampered handshake (the control)', async () => {
    const conn = await RawConnection.open(url);
    expect((await handshake(conn, { id: 'hs-control', key: newKey() })).ok).toBe(true);
    conn.close();
    // The master caches its grains a moment after welcome; let that land before files are compared.
    await waitFor(() => grainsCached('hs-control'), 5000, 'the grains cache');
  });

  it('refuses 1,000 handshakes with one bit flipped in a signed-over hello field or the auth signature', async () => {
    const before = keyAndCacheFiles();
    const flips = fc.sample(
      fc.record({
        region: fc.constantFrom('id', 'pub', 'nonce', 'sig', 'sig'),
        at: fc.nat(),
        bit: fc.integer({ min: 0, max: 7 }),
      }),
      { seed: 7, numRuns: 1000 },
    );
    const key = newKey();
    const results = await mapPool(flips, 8, async ({ region, at, bit }, i) => {
      const id = `hs-flip-${i}`;
      const nonce = randomBytes(32);
      const helloFields = { id: Buffer.from(id), pub: key.publicRaw, nonce };
      const conn = await RawConnection.open(url);
      const r = await handshake(conn, {
        id,
        key,
        nonce,
        tamperHello: (bytes) => (region === 'sig' ? bytes : flipWithin(bytes, helloFields[region], at, bit)),
        tamperAuth: (bytes) => {
          if (region !== 'sig') return bytes;
          const auth = decodeFrame(bytes);
          return auth.ok && auth.frame.type === 'auth' ? flipWithin(bytes, auth.frame.sig, at, bit) : bytes;
        },
      });
      conn.terminate();
      return r;
    });
    expect(results.filter((r) => r.ok)).toHaveLength(0);
    const codes = new Set(results.map((r) => (r.ok ? 'welcome' : r.code)));
    const expected: string[] = [ErrorCode.SIGNATURE_INVALID, ErrorCode.MINION_ID_INVALID, ErrorCode.FRAME_MALFORMED];
    expect(
      [...codes].filter((c) => !expected.includes(c)),
      [...codes].join(' '),
    ).toEqual([]);
    expect(codes).toContain(ErrorCode.SIGNATURE_INVALID);
    expect(keyAndCacheFiles()).toEqual(before);
    await expectHealthy();
  });

  it('refuses a key without proof: an auth signed by another key, a zero signature, or a replayed auth', async () => {
    const key = newKey();
    const other = newKey();
    // Claims another minion's public key and signs with its own.
    const wrongKey = await RawConnection.open(url);
    const r1 = await handshake(wrongKey, {
      id: 'hs-proof',
      key: other,
      tamperHello: (bytes) => {
        const copy = Buffer.from(bytes);
        key.publicRaw.copy(copy, bytes.indexOf(other.publicRaw));
        return copy;
      },
    });
    expect(r1.ok ? 'welcome' : r1.code).toBe(ErrorCode.SIGNATURE_INVALID);

    const zero = await RawConnection.open(url);
    const r2 = await handshake(zero, {
      id: 'hs-proof',
      key,
      tamperAuth: (bytes) => {
        const auth = decodeFrame(bytes);
        if (!auth.ok || auth.frame.type !== 'auth') return bytes;
        const copy = Buffer.from(bytes);
        copy.fill(0, bytes.indexOf(auth.frame.sig), bytes.indexOf(auth.frame.sig) + 64);
        return copy;
      },
    });
    expect(r2.ok ? 'welcome' : r2.code).toBe(ErrorCode.SIGNATURE_INVALID);

    // A captured hello and auth, replayed on a new connection: the master's fresh nonce voids it.
    const good = await RawConnection.open(url);
    const captured = await handshake(good, { id: 'hs-proof', key });
    expect(captured.ok).toBe(true);
    good.close();
    if (!captured.ok) return;
    const replay = await RawConnection.open(url);
    replay.send(encodeFrame(captured.frames.hello));
    expect(await replay.next(ofType('challenge'))).toBeDefined();
    replay.send(captured.frames.auth);
    const err = await replay.next(ofType('error'));
    expect(err?.code).toBe(ErrorCode.SIGNATURE_INVALID);
    expect((await replay.closed).code).toBe(1008);
  });
});

describe('frames before authentication', () => {
  const notHello = FRAME_TYPES.filter((t) => t !== 'hello' && t !== 'error');
  const notAuth = FRAME_TYPES.filter((t) => t !== 'auth' && t !== 'error');

  async function sendAndTime(conn: RawConnection, type: FrameType): Promise<{ code?: string; closeMs: number }> {
    const from = conn.frames.length;
    const t0 = performance.now();
    conn.send(SAMPLES[type]);
    const err = await conn.next(ofType('error'), { from });
    const closed = await conn.closed;
    return { ...(err ? { code: err.code } : {}), closeMs: closed.at - t0 };
  }

  it(`closes the connection on each of the ${notHello.length} other frame types sent first, with ERR_FRAME_NOT_ALLOWED`, async () => {
    const times: number[] = [];
    for (const type of notHello) {
      const conn = await RawConnection.open(url);
      const r = await sendAndTime(conn, type);
      expect(r.code, type).toBe(ErrorCode.FRAME_NOT_ALLOWED);
      expect(
        conn.frames.filter((f) => f.type !== 'error'),
        type,
      ).toEqual([]);
      times.push(r.closeMs);
    }
    times.sort((a, b) => a - b);
    // At once, not at the 10 s auth deadline: the bounds leave room for a loaded box (the median
    // was 223 ms at load 29).
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(1000);
    expect(times.at(-1)).toBeLessThan(5000);
  });

  it(`closes the connection on each of the ${notAuth.length} frame types other than auth sent after hello`, async () => {
    for (const type of notAuth) {
      const conn = await RawConnection.open(url);
      conn.send({ ...SAMPLES.hello, id: 'hs-wall', pub: newKey().publicRaw });
      expect(await conn.next(ofType('challenge'))).toBeDefined();
      const r = await sendAndTime(conn, type);
      expect(r.code, type).toBe(ErrorCode.FRAME_NOT_ALLOWED);
    }
    expect(keyAndCacheFiles().filter((f) => f.includes('hs-wall'))).toEqual([]);
  });

  it('closes only the offending connection on an error frame whose code is 64 multibyte characters', async () => {
    const bystander = new RawMinion({ url, id: 'hs-bystander' });
    expect((await bystander.connect()).ok).toBe(true);
    for (const code of ['€'.repeat(64), '😀'.repeat(40), 'x'.repeat(5000)]) {
      const conn = await RawConnection.open(url);
      conn.send({ type: 'error', code, message: 'bye' });
      expect((await conn.closed).code).toBe(1000);
    }
    expect(bystander.conn!.isOpen).toBe(true);
    await bystander.stop();
    await expectHealthy();
  });

  it('survives a protocol violation on a connection that admission control refused', async () => {
    // Fill every authenticating slot with connections that never say hello.
    const idle = await mapPool(Array.from({ length: MAX_AUTHENTICATING }), 16, () => RawConnection.open(url));
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { rejectUnauthorized: false });
      ws.on('error', () => {});
      // RSV2 and RSV3 set: a frame ws must reject with an 'error' event on the server's socket.
      ws.on('upgrade', (res) => (res.socket as Socket).write(Buffer.from([0xf2, 0x80, 0, 0, 0, 0])));
      ws.on('close', (code) => resolve(code));
    });
    expect([1002, 1006, 1013]).toContain(refused);
    for (const c of idle) c.terminate();
    await expectHealthy();
  });
});
