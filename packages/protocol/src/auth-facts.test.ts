import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authFactsDigest } from './auth-facts.js';
import { decodeFrame, encodeFrame } from './codec.js';

const JID = '20240102030405678000';

/** The facts as the master reads them: from the decoded auth frame. */
function throughTheWire(grains: Record<string, unknown>, running: string[], enrollToken?: string) {
  const decoded = decodeFrame(
    encodeFrame({ type: 'auth', sig: Buffer.alloc(64), grains, running, ...(enrollToken ? { enrollToken } : {}) }),
  );
  if (!decoded.ok || decoded.frame.type !== 'auth') throw new Error('auth did not decode');
  return decoded.frame;
}

describe('authFactsDigest', () => {
  it('is the same for the facts a minion sends and the facts the master decodes', () => {
    const grains = {
      id: 'web1',
      os: 'Debian',
      num_cpus: 4,
      mem_total: 16_384.5,
      big: 2 ** 40,
      negative: -12,
      unicode: 'naïve ☃ 名前',
      ipv4: ['10.0.0.1', '127.0.0.1'],
      nested: { a: { b: [1, null, true, false, 0.1] } },
      empty: {},
      none: null,
    };
    const wire = throughTheWire(grains, [JID], 'token');
    expect(authFactsDigest(wire)).toEqual(authFactsDigest({ grains, running: [JID], enrollToken: 'token' }));
  });

  it('matches across the wire for grains with __proto__, constructor and prototype keys', () => {
    const grains = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"x": 1}}, "list": [{"__proto__": 1}], "s": "__proto__"}',
    ) as Record<string, unknown>;
    expect(authFactsDigest(throughTheWire(grains, []))).toEqual(authFactsDigest({ grains, running: [] }));
    expect(authFactsDigest({ grains, running: [] })).not.toEqual(authFactsDigest({ grains: {}, running: [] }));
  });

  it('matches across the wire for 500 generated grain sets', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor')),
          fc.jsonValue({ maxDepth: 4 }),
        ),
        (grains) => {
          const g = grains as Record<string, unknown>;
          expect(authFactsDigest(throughTheWire(g, []))).toEqual(authFactsDigest({ grains: g, running: [] }));
        },
      ),
      { seed: 13, numRuns: 500 },
    );
  });

  it('changes with any grain, the running list or the token', () => {
    const base = authFactsDigest({ grains: { role: 'web' }, running: [] });
    expect(authFactsDigest({ grains: { role: 'db' }, running: [] })).not.toEqual(base);
    expect(authFactsDigest({ grains: { role: 'web', admin: true }, running: [] })).not.toEqual(base);
    expect(authFactsDigest({ grains: { role: 'web' }, running: [JID] })).not.toEqual(base);
    expect(authFactsDigest({ grains: { role: 'web' }, running: [], enrollToken: 't' })).not.toEqual(base);
  });
});
