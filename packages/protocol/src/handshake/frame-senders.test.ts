import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeValue } from '../codec.js';
import { ErrorCode } from '../errors.js';
import { FRAME_TYPES, type FrameType } from '../frames.js';
import { FRAME_SENDERS, mayReceive, type Sender } from './frame-senders.js';

// Issue 5, test plan A3 (Salt's test_clear_funcs_black): every frame type of the protocol has a
// declared sender, and the frames a peer may send before it has proven its key are pinned here.
const SENDERS: readonly Sender[] = ['unauthenticated', 'minion', 'any', 'nobody'];
const STATES = ['hello', 'auth', 'ready'] as const;

describe('FRAME_SENDERS', () => {
  it('declares every frame type of the protocol, and nothing else', () => {
    expect(Object.keys(FRAME_SENDERS).sort()).toEqual([...FRAME_TYPES].sort());
  });

  it.each(FRAME_TYPES)('declares a known sender for %s', (type) => {
    expect(SENDERS).toContain(FRAME_SENDERS[type]);
  });

  it('lets an unauthenticated peer send hello and auth only (and error, from anyone)', () => {
    const declared = (sender: Sender) => FRAME_TYPES.filter((t) => FRAME_SENDERS[t] === sender).sort();
    expect(declared('unauthenticated')).toEqual(['auth', 'hello']);
    expect(declared('any')).toEqual(['error']);
    expect(declared('minion')).toEqual(
      [
        'event',
        'file.list',
        'file.request',
        'grains.update',
        'job.ack',
        'job.progress',
        'job.return',
        'mine.request',
        'pillar.get',
      ].sort(),
    );
  });
});

describe('mayReceive', () => {
  const allowed = (state: (typeof STATES)[number]): FrameType[] =>
    FRAME_TYPES.filter((t) => mayReceive(t, state)).sort();

  it('accepts only hello (and error) from a peer that has said nothing yet', () => {
    expect(allowed('hello')).toEqual(['error', 'hello']);
  });

  it('accepts only auth (and error) from a peer that was challenged', () => {
    expect(allowed('auth')).toEqual(['auth', 'error']);
  });

  it('accepts the minion frames (and error) from an authenticated minion, never a handshake frame again', () => {
    expect(allowed('ready')).toEqual(
      FRAME_TYPES.filter((t) => FRAME_SENDERS[t] === 'minion' || FRAME_SENDERS[t] === 'any').sort(),
    );
  });

  it.each(FRAME_TYPES.filter((t) => FRAME_SENDERS[t] === 'nobody'))(
    'never accepts %s, a frame only the master sends',
    (type) => {
      for (const state of STATES) expect(mayReceive(type, state)).toBe(false);
    },
  );

  it('is never reached by a frame type outside the protocol: decoding refuses it first', () => {
    for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'job.Publish', 'hello ', '']) {
      const result = decodeFrame(encodeValue({ v: 1, type }));
      expect(result.ok ? 'decoded' : result.error.code, type).toBe(ErrorCode.FRAME_UNKNOWN_TYPE);
    }
  });
});
