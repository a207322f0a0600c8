import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './codec.js';
import { sampleJobSpec } from './frame-samples.fixture.js';
import type { Frame, FrameInput } from './frames.js';
import { signJob, verifyJob } from './jobs.js';
import { compileTarget } from './targeting.js';

/** Own `__proto__`, `constructor` and `prototype` keys at several depths, as a hostile peer sends them. */
const HOSTILE = JSON.parse(`{
  "__proto__": { "polluted": "yes" },
  "constructor": { "prototype": { "polluted": "yes" } },
  "prototype": { "polluted": "yes" },
  "list": [{ "__proto__": { "polluted": "yes" } }, [{ "constructor": { "prototype": { "polluted": "yes" } } }]],
  "deep": { "a": { "b": { "__proto__": { "polluted": "yes" }, "prototype": { "polluted": "yes" } } } }
}`) as Record<string, unknown>;

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  expect(Object.hasOwn(Array.prototype, 'polluted')).toBe(false);
  expect(Object.hasOwn(Function.prototype, 'polluted')).toBe(false);
}

/** Every object in a decoded value is a plain object or array that inherits nothing planted. */
function expectPlain(value: unknown): void {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
  const proto: unknown = Object.getPrototypeOf(value);
  expect(proto === Object.prototype || proto === Array.prototype).toBe(true);
  if (!Object.hasOwn(value, 'polluted')) expect((value as Record<string, unknown>)['polluted']).toBeUndefined();
  for (const child of Object.values(value)) expectPlain(child);
}

function roundTrip(frame: FrameInput): Frame {
  const bytes = encodeFrame(frame);
  expect(bytes.includes('__proto__')).toBe(true);
  const result = decodeFrame(bytes);
  if (!result.ok) throw new Error(result.error.message);
  return result.frame;
}

describe('decoding hostile keys', () => {
  afterEach(expectNoPollution);

  it('decodes event data with __proto__, constructor and prototype keys without polluting', () => {
    expectPlain(roundTrip({ type: 'event', tag: 'brine/x', data: HOSTILE }));
  });

  it('decodes a job return with hostile keys in ret without polluting', () => {
    expectPlain(
      roundTrip({
        type: 'job.return',
        jid: '20240102030405678000',
        attempt: 0,
        fun: 'test.echo',
        outcome: 'returned',
        ret: HOSTILE,
        retcode: 0,
        success: true,
        startedAt: 1,
        endedAt: 2,
      }),
    );
  });

  it('decodes grains with hostile keys in auth and grains.update without polluting', () => {
    expectPlain(roundTrip({ type: 'grains.update', grains: HOSTILE, seq: 1, sig: Buffer.alloc(64) }));
    expectPlain(roundTrip({ type: 'auth', sig: Buffer.alloc(64), grains: HOSTILE, running: [] }));
  });

  it('verifies a signed job with hostile keys in args and kwargs without polluting', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const signed = signJob(privateKey, sampleJobSpec({ args: [HOSTILE], kwargs: HOSTILE }));
    const result = verifyJob(pub, 'ab:cd', signed.spec, signed.sig);
    if (!result.ok) throw new Error(result.error.message);
    expectPlain(result.spec);
  });

  it('matches targets on hostile grains by own keys only', () => {
    const grains = roundTrip({ type: 'grains.update', grains: HOSTILE, seq: 1, sig: Buffer.alloc(64) });
    const facts = { id: 'web1', grains: (grains as Frame<'grains.update'>).grains };
    for (const tgt of [
      'G@polluted:*',
      'G@__proto__:*',
      'G@toString:*',
      'G@deep:a:b:polluted:*',
      'G@list:0:polluted:*',
    ]) {
      const compiled = compileTarget(tgt, 'compound');
      expect(compiled.ok && compiled.match(facts)).toBe(false);
    }
    const owned = compileTarget('G@constructor:prototype:polluted:yes', 'compound');
    expect(owned.ok && owned.match(facts)).toBe(true);
  });
});
