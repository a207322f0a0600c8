import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from '@brine/testing';
import { ErrorCode, decodeFrame, encodeFrame } from '@brine/protocol';
import { RawMinion, decodeSpec, ofType } from './raw-minion.js';
import { masterHealth, minionUrl, runJob, spliceValue } from './fixtures.js';

// Issue 5, test plan C4: `__proto__`, `constructor` and `prototype` keys at every depth, in
// every place a minion or an API caller puts data, pollute nothing in the master or a minion.

/** Own hostile keys at several depths, as JSON.parse makes them (an object literal would not). */
const HOSTILE = (): Record<string, unknown> =>
  JSON.parse(`{
    "__proto__": { "polluted": "yes" },
    "constructor": { "prototype": { "polluted": "yes" } },
    "prototype": { "polluted": "yes" },
    "list": [{ "__proto__": { "polluted": "yes" } }, [{ "constructor": { "prototype": { "polluted": "yes" } } }]],
    "deep": { "a": { "b": { "c": { "__proto__": { "polluted": "yes" }, "prototype": { "polluted": "yes" } } } } }
  }`) as Record<string, unknown>;

/**
 * Loaded into the daemons with `node --import`: on SIGUSR2 it writes which own properties the
 * built-in prototypes gained since start, so the test looks inside the master process itself.
 */
const PROBE = `
import { writeFileSync } from 'node:fs';
const protos = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype, String: String.prototype };
const names = (p) => Reflect.ownKeys(p).map(String);
const baseline = Object.fromEntries(Object.entries(protos).map(([k, p]) => [k, new Set(names(p))]));
process.on('SIGUSR2', () => {
  const added = Object.fromEntries(Object.entries(protos).map(([k, p]) => [k, names(p).filter((n) => !baseline[k].has(n))]));
  const report = { added, polluted: ({}).polluted ?? null, plain: Object.getPrototypeOf({}) === Object.prototype };
  writeFileSync(process.env.BRINE_PROBE_DIR + '/' + process.pid + '.json', JSON.stringify(report));
});
`;

let cluster: Cluster;
let probeDir: string;
let raw: RawMinion;

/** Starts processes with the probe preloaded. */
async function withProbe<T>(start: () => Promise<T> | T): Promise<T> {
  const saved = { options: process.env['NODE_OPTIONS'], dir: process.env['BRINE_PROBE_DIR'] };
  process.env['NODE_OPTIONS'] = `${saved.options ?? ''} --import ${join(probeDir, 'probe.mjs')}`.trim();
  process.env['BRINE_PROBE_DIR'] = probeDir;
  try {
    return await start();
  } finally {
    if (saved.options === undefined) delete process.env['NODE_OPTIONS'];
    else process.env['NODE_OPTIONS'] = saved.options;
    if (saved.dir === undefined) delete process.env['BRINE_PROBE_DIR'];
    else process.env['BRINE_PROBE_DIR'] = saved.dir;
  }
}

/** Asks a probed process for its report. */
async function probe(pid: number): Promise<unknown> {
  const file = join(probeDir, `${pid}.json`);
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  await waitFor(() => existsSync(file), 5000, 'the probe report');
  return JSON.parse(readFileSync(file, 'utf8'));
}

const CLEAN = { added: { Object: [], Array: [], Function: [], String: [] }, polluted: null, plain: true };

beforeAll(async () => {
  probeDir = mkdtempSync(join(tmpdir(), 'brine-probe-'));
  writeFileSync(join(probeDir, 'probe.mjs'), PROBE);
  cluster = await withProbe(() => new Cluster({ minions: ['pp-m1'] }).start());
  raw = new RawMinion({ url: minionUrl(cluster), id: 'pp-raw', grains: HOSTILE(), answerJobs: false });
  expect((await raw.connect()).ok).toBe(true);
});
afterAll(async () => {
  await raw?.stop();
  await cluster?.stop();
  rmSync(probeDir, { recursive: true, force: true });
});

describe('hostile keys', () => {
  it('decode in this process without touching Object.prototype', () => {
    for (const frame of [
      encodeFrame({ type: 'grains.update', grains: HOSTILE(), seq: 1, sig: Buffer.alloc(64) }),
      encodeFrame({ type: 'event', tag: '__proto__/constructor', data: HOSTILE() }),
    ]) {
      expect(decodeFrame(frame).ok).toBe(true);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });

  it('in grains, grains updates, events and returns pollute nothing in the master', async () => {
    const conn = raw.conn!;
    conn.send(raw.grainsUpdate({ ...HOSTILE(), role: 'hostile' }));
    conn.send({ type: 'event', tag: '__proto__/constructor/prototype', data: HOSTILE() });
    conn.send({ type: 'event', tag: 'custom', data: [HOSTILE(), { nested: HOSTILE() }] });
    // A job for the hostile minion, answered with a hostile return.
    const from = conn.frames.length;
    const job = runJob(cluster, { target: 'pp-raw', fun: 'test.ping' });
    const publish = await conn.next(ofType('job.publish'), { from });
    const spec = decodeSpec(publish!)!;
    conn.send({ type: 'job.ack', jid: spec.jid, attempt: 0, state: 'started' });
    conn.send({
      type: 'job.return',
      jid: spec.jid,
      attempt: 0,
      fun: 'test.ping',
      outcome: 'returned',
      ret: HOSTILE(),
      retcode: 0,
      success: true,
      startedAt: 1,
      endedAt: 2,
    });
    const done = await job;
    expect(done.minions['pp-raw']?.outcome).toBe('returned');
    const stored = await cluster.api<{ minions: { id: string; ret: Record<string, unknown> }[] }>(
      'GET',
      `/api/v1/jobs/${done.jid}`,
    );
    expect(stored.body.minions[0]?.ret['constructor']).toEqual({ prototype: { polluted: 'yes' } });
    expect(await probe(cluster.master!.pid!)).toEqual(CLEAN);
  });

  it('target on own grain keys only, and never through a prototype', async () => {
    const none = await cluster.api<{ code: string }>('POST', '/api/v1/jobs', {
      target: 'G@polluted:yes',
      targetType: 'compound',
      fun: 'test.ping',
    });
    expect(none.status).toBe(404);
    const own = await cluster.api<{ minions: string[] }>('POST', '/api/v1/jobs?preview=true', {
      target: 'G@constructor:prototype:polluted:yes',
      targetType: 'compound',
      fun: 'test.ping',
    });
    expect(own.body.minions).toEqual(['pp-raw']);
    const ping = await runJob(cluster, { target: 'pp-m1', fun: 'test.ping' });
    expect(ping.minions['pp-m1']?.outcome).toBe('returned');
  });

  it('in job args and kwargs from the API pollute neither the master nor the minion that runs the job', async () => {
    const post = (body: string) =>
      fetch(`${cluster.endpoints.api}/api/v1/jobs?wait=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cluster.token}`, 'content-type': 'application/json' },
        body,
      });
    // The API's JSON parser refuses __proto__ and constructor.prototype outright.
    const refused = await post(JSON.stringify({ target: 'pp-m1', fun: 'test.arg', args: [HOSTILE()] }));
    expect(refused.status).toBe(400);
    // What it lets through reaches the minion as plain data and comes back as such.
    const allowed = {
      prototype: { polluted: 'yes' },
      constructor: { name: 'x' },
      deep: { a: { prototype: { p: 1 } } },
    };
    const res = await post(
      JSON.stringify({ target: 'pp-m1', fun: 'test.arg', args: [allowed], kwargs: allowed, timeoutMs: 5000 }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { minions: Record<string, { outcome: string; ret: unknown }> };
    expect(body.minions['pp-m1']).toMatchObject({ outcome: 'returned', ret: { args: [allowed], kwargs: allowed } });
    expect(await probe(cluster.master!.pid!)).toEqual(CLEAN);
    expect(await probe(cluster.minions.get('pp-m1')!.pid!)).toEqual(CLEAN);
  });

  it('read back from the grains cache after a master restart pollute nothing', async () => {
    // The grains cache is written a second after a change (MinionCache.save); let it land.
    await new Promise((r) => setTimeout(r, 1500));
    await cluster.killMaster('SIGKILL');
    await withProbe(() => cluster.startMaster());
    await cluster.waitConnected(['pp-m1']);
    expect(await probe(cluster.master!.pid!)).toEqual(CLEAN);
    const own = await cluster.api<{ minions: string[] }>('POST', '/api/v1/jobs?preview=true', {
      target: 'G@role:hostile',
      targetType: 'compound',
      fun: 'test.ping',
    });
    expect(own.body.minions).toEqual(['pp-raw']);
    expect(await masterHealth(cluster)).toEqual({ alive: true, healthy: true, crashes: [] });
  });
});

describe('values JSON cannot hold', () => {
  const frameWith = (value: string) => {
    const hex = Buffer.from(value, 'hex');
    return {
      event: spliceValue(encodeFrame({ type: 'event', tag: 't', data: 'X' }), 'X', hex),
      grains: spliceValue(
        encodeFrame({ type: 'grains.update', grains: { g: 'X' }, seq: 1, sig: Buffer.alloc(64) }),
        'X',
        hex,
      ),
      ret: spliceValue(
        encodeFrame({
          type: 'job.return',
          jid: '20240102030405678000',
          attempt: 0,
          fun: 'test.ping',
          outcome: 'returned',
          ret: 'X',
          retcode: 0,
          success: true,
          startedAt: 1,
          endedAt: 2,
        }),
        'X',
        hex,
      ),
    };
  };
  const U64 = 'cfffffffffffffffff';
  const CYCLE = 'd6690000000191d67000000001';
  const BIGINT64_ARRAY = 'c70974090100000000000000';

  it('refuses a minion whose grains hold a 64-bit integer at authentication', async () => {
    const m = new RawMinion({ url: minionUrl(cluster), id: 'pp-bigint', grains: { n: 2n ** 64n - 1n } as never });
    const r = await m.connect();
    expect(r.ok ? 'welcome' : r.code).toBe(ErrorCode.FRAME_MALFORMED);
    await m.stop();
    expect(await masterHealth(cluster)).toEqual({ alive: true, healthy: true, crashes: [] });
  });

  it.each([
    ['a 64-bit integer in a grains update', frameWith(U64).grains],
    ['a 64-bit integer in event data', frameWith(U64).event],
    ['a cyclic array in event data', frameWith(CYCLE).event],
    ['a cyclic array in a return', frameWith(CYCLE).ret],
    ['a BigInt64Array in a return', frameWith(BIGINT64_ARRAY).ret],
    ['a BigInt64Array in grains', frameWith(BIGINT64_ARRAY).grains],
  ])('closes the connection of a minion that sends %s, and the master stays up', async (what, bytes) => {
    const m = new RawMinion({ url: minionUrl(cluster), id: `pp-exotic-${what.replace(/[^a-z0-9]+/gi, '-')}` });
    expect((await m.connect()).ok).toBe(true);
    const conn = m.conn!;
    const from = conn.frames.length;
    conn.send(bytes);
    expect((await conn.next(ofType('error'), { from }))?.code).toBe(ErrorCode.FRAME_MALFORMED);
    expect((await conn.closed).code).toBe(1008);
    await m.stop();
    expect(await masterHealth(cluster)).toEqual({ alive: true, healthy: true, crashes: [] });
    const ping = await runJob(cluster, { target: 'pp-m1', fun: 'test.ping' });
    expect(ping.minions['pp-m1']?.outcome).toBe('returned');
  });
});
