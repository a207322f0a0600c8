import { describe, expect, it } from 'vitest';
import { closeReason } from './minion-connection.js';

describe('closeReason', () => {
  it('passes a short ASCII code through', () => {
    expect(closeReason('ERR_FRAME_SCHEMA')).toBe('ERR_FRAME_SCHEMA');
  });

  it.each([
    ['64 three-byte characters', '€'.repeat(64)],
    ['an emoji', 'ERR_😀'],
    ['124 ASCII characters', 'x'.repeat(124)],
    ['a space', 'ERR X'],
    ['an empty code', ''],
  ])('drops a code ws could not send as a close reason: %s', (_what, code) => {
    expect(closeReason(code)).toBe('');
  });

  it('never returns more than the 123 bytes a close frame holds', () => {
    for (const code of ['x'.repeat(123), 'é'.repeat(70), 'a'.repeat(1000)]) {
      expect(Buffer.byteLength(closeReason(code))).toBeLessThanOrEqual(123);
    }
  });
});
