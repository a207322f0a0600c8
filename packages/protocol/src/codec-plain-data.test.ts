import { describe, expect, it } from 'vitest';
import { MAX_FRAME_DEPTH, decodeFrame, encodeFrame } from './codec.js';
import { ErrorCode } from './errors.js';

/** An `event` frame whose data is the given msgpack bytes, spliced in raw. */
function eventWithData(data: Buffer): Buffer {
  const marker = 'DATA-MARKER';
  const bytes = encodeFrame({ type: 'event', tag: 't', data: marker });
  const at = bytes.indexOf(marker) - 1; // the fixstr header byte
  return Buffer.concat([bytes.subarray(0, at), data, bytes.subarray(at + 1 + marker.length)]);
}

function codeOf(bytes: Uint8Array): string | undefined {
  const r = decodeFrame(bytes);
  return r.ok ? undefined : r.error.code;
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

describe('decodeFrame accepts plain data only', () => {
  it('rejects a 64-bit integer, which would decode to a BigInt', () => {
    const u64 = Buffer.from('cfffffffffffffffff', 'hex');
    const i64 = Buffer.from('d38000000000000000', 'hex');
    expect(codeOf(eventWithData(u64))).toBe(ErrorCode.FRAME_MALFORMED);
    expect(codeOf(eventWithData(i64))).toBe(ErrorCode.FRAME_MALFORMED);
  });

  it('rejects structured-clone references, so no frame holds a cycle or a shared object', () => {
    const cycle = Buffer.from('d6690000000191d67000000001', 'hex'); // a = [a]
    const shared = Buffer.from('92d66900000001de0001a17801d67000000001', 'hex'); // [s, s]
    expect(codeOf(eventWithData(cycle))).toBe(ErrorCode.FRAME_MALFORMED);
    expect(codeOf(eventWithData(shared))).toBe(ErrorCode.FRAME_MALFORMED);
  });

  it.each([
    ['BigInt64Array', 'c70974090100000000000000'],
    ['Float64Array', 'c7097408000000000000f03f'],
    ['Set', 'd473009101'],
    ['RegExp', 'd4780092a178a167'],
    ['Error', 'd4650093a54572726f72a165d40000'],
  ])('rejects an extension type that decodes to a %s', (_name, hex) => {
    expect(codeOf(eventWithData(Buffer.from(hex, 'hex')))).toBe(ErrorCode.FRAME_MALFORMED);
  });

  it(`accepts data nested ${MAX_FRAME_DEPTH} deep and rejects one level more`, () => {
    expect(codeOf(encodeFrame({ type: 'event', tag: 't', data: nested(MAX_FRAME_DEPTH - 1) }))).toBeUndefined();
    expect(codeOf(encodeFrame({ type: 'event', tag: 't', data: nested(MAX_FRAME_DEPTH) }))).toBe(
      ErrorCode.FRAME_MALFORMED,
    );
  });

  it('accepts bytes, dates, null and undefined inside data', () => {
    const data = { b: Buffer.from([1, 2]), d: new Date(0), n: null, u: undefined, l: [1.5, 'x', true] };
    const r = decodeFrame(encodeFrame({ type: 'event', tag: 't', data }));
    expect(r.ok).toBe(true);
  });
});
