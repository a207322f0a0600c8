import fc from 'fast-check';
import { describe, it } from 'vitest';
import { decodeFrame, encodeFrame } from './codec.js';
import { ErrorCode } from './errors.js';
import { FRAME_SAMPLES } from './frame-samples.fixture.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
const SEEDS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
const RUNS_PER_SEED = 1000;
const VALID = Object.values(FRAME_SAMPLES).map((frame) => encodeFrame(frame));

/** Decodes and checks the result is ok or carries a code from the table; a throw fails the property. */
function decodesToOkOrKnownCode(bytes: Uint8Array): boolean {
  const result = decodeFrame(bytes);
  return result.ok || KNOWN_CODES.has(result.error.code);
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; other: number; from: number; length: number; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
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
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);

function mutate(bytes: Buffer, m: Mutation): Buffer {
  const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
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

describe('decodeFrame under fuzzing', () => {
  it.each(SEEDS)('never throws on random bytes (seed %i)', (seed) => {
    const property = fc.property(fc.uint8Array({ maxLength: 512 }), decodesToOkOrKnownCode);
    fc.assert(property, { seed, numRuns: RUNS_PER_SEED });
  });

  it.each(SEEDS)('never throws on mutated valid frames (seed %i)', (seed) => {
    const property = fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (index, mutations) =>
      decodesToOkOrKnownCode(mutations.reduce(mutate, VALID[index % VALID.length]!)),
    );
    fc.assert(property, { seed, numRuns: RUNS_PER_SEED });
  });
});
