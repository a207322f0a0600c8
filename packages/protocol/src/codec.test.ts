import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, encodeValue } from './codec.js';
import { ErrorCode } from './errors.js';
import { FRAME_SAMPLES } from './frame-samples.fixture.js';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_TYPES, PROTOCOL_VERSION, type FrameType } from './frames.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

function sample(type: FrameType) {
  const frame = (FRAME_SAMPLES as Partial<typeof FRAME_SAMPLES>)[type];
  if (!frame) throw new Error(`no sample frame for '${type}': add one to frame-samples.fixture.ts`);
  return frame;
}

function codeOf(bytes: Uint8Array, maxFrameBytes?: number): string | undefined {
  const result = decodeFrame(bytes, maxFrameBytes === undefined ? {} : { maxFrameBytes });
  return result.ok ? undefined : result.error.code;
}

describe('encodeFrame and decodeFrame', () => {
  it('has a sample for every frame type and no other', () => {
    expect(Object.keys(FRAME_SAMPLES).sort()).toEqual([...FRAME_TYPES].sort());
  });

  it.each(FRAME_TYPES)('round-trips a %s frame', (type) => {
    const frame = sample(type);
    const result = decodeFrame(encodeFrame(frame));
    expect(result).toEqual({ ok: true, frame: { ...frame, v: PROTOCOL_VERSION } });
  });

  it.each(FRAME_TYPES)('rejects every truncation of a %s frame with a code, without throwing', (type) => {
    const bytes = encodeFrame(sample(type));
    for (let length = 0; length < bytes.length; length++) {
      const result = decodeFrame(bytes.subarray(0, length));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(KNOWN_CODES).toContain(result.error.code);
    }
  });

  it('rejects a truncated frame with ERR_FRAME_MALFORMED', () => {
    const bytes = encodeFrame(sample('job.return'));
    expect(codeOf(bytes.subarray(0, bytes.length - 1))).toBe(ErrorCode.FRAME_MALFORMED);
    expect(codeOf(new Uint8Array(0))).toBe(ErrorCode.FRAME_MALFORMED);
  });

  it('rejects trailing bytes after a frame with ERR_FRAME_MALFORMED', () => {
    const bytes = Buffer.concat([encodeFrame(sample('welcome')), Buffer.from([0x01])]);
    expect(codeOf(bytes)).toBe(ErrorCode.FRAME_MALFORMED);
  });

  it('keeps decoded peer data out of the error message', () => {
    const bytes = Buffer.concat([encodeFrame({ type: 'error', code: 'x', message: 'SECRET' }), Buffer.from([0x01])]);
    const result = decodeFrame(bytes);
    expect(result.ok || result.error.message.includes('SECRET')).toBe(false);
  });

  it('rejects a frame over the size limit with ERR_FRAME_TOO_LARGE', () => {
    const big = encodeFrame({ type: 'event', tag: 'big', data: 'x'.repeat(DEFAULT_MAX_FRAME_BYTES) });
    expect(codeOf(big)).toBe(ErrorCode.FRAME_TOO_LARGE);
    const small = encodeFrame(sample('welcome'));
    expect(codeOf(small, small.length - 1)).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(codeOf(small, small.length)).toBeUndefined();
  });

  it('rejects an unknown frame type with ERR_FRAME_UNKNOWN_TYPE', () => {
    for (const type of ['job.nope', '', 42, null, 'toString', '__proto__', 'constructor']) {
      expect(codeOf(encodeValue({ v: PROTOCOL_VERSION, type }))).toBe(ErrorCode.FRAME_UNKNOWN_TYPE);
    }
    expect(codeOf(encodeValue({ v: PROTOCOL_VERSION }))).toBe(ErrorCode.FRAME_UNKNOWN_TYPE);
  });

  it('rejects another protocol version with ERR_FRAME_VERSION', () => {
    const body = { type: 'welcome', heartbeatMs: 1000 };
    for (const v of [0, 2, '1', null, [1], { toString: 1, valueOf: 1 }]) {
      expect(codeOf(encodeValue({ ...body, v }))).toBe(ErrorCode.FRAME_VERSION);
    }
    expect(codeOf(encodeValue(body))).toBe(ErrorCode.FRAME_VERSION);
  });

  it('rejects fields that do not match the schema with ERR_FRAME_SCHEMA', () => {
    const invalid: Record<string, unknown>[] = [
      { ...sample('welcome'), heartbeatMs: -1 },
      { ...sample('welcome'), heartbeatMs: '1000' },
      { ...sample('job.cancel'), jid: '123' },
      { ...sample('hello'), pub: 'not bytes' },
      { ...sample('job.ack'), state: 'maybe' },
      { type: 'job.return' },
      { ...sample('event'), tag: '' },
    ];
    for (const frame of invalid)
      expect(codeOf(encodeValue({ ...frame, v: PROTOCOL_VERSION }))).toBe(ErrorCode.FRAME_SCHEMA);
  });

  it('rejects a value that is not a map with ERR_FRAME_MALFORMED', () => {
    for (const value of [42, 'welcome', null, true, [PROTOCOL_VERSION, 'welcome'], Buffer.from([1, 2]), 1.5]) {
      expect(codeOf(encodeValue(value))).toBe(ErrorCode.FRAME_MALFORMED);
    }
  });

  it('drops unknown fields of a known frame type', () => {
    const result = decodeFrame(encodeValue({ ...sample('welcome'), v: PROTOCOL_VERSION, extra: 'x' }));
    expect(result).toEqual({ ok: true, frame: { ...sample('welcome'), v: PROTOCOL_VERSION } });
  });
});
