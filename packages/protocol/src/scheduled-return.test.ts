import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './codec.js';
import { ErrorCode } from './errors.js';
import { FRAME_SAMPLES } from './frame-samples.fixture.js';
import { PROTOCOL_VERSION } from './frames.js';

const scheduled = { ...FRAME_SAMPLES['job.return'], schedule: 'nightly-backup' };

describe('a return of a minion-scheduled run', () => {
  it('round-trips with its schedule name', () => {
    expect(decodeFrame(encodeFrame(scheduled))).toEqual({ ok: true, frame: { ...scheduled, v: PROTOCOL_VERSION } });
  });

  it.each(['', '../x', 'a b', 'x'.repeat(65)])('refuses the schedule name %j', (schedule) => {
    const result = decodeFrame(encodeFrame({ ...scheduled, schedule } as typeof scheduled));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(ErrorCode.FRAME_SCHEMA);
  });
});
