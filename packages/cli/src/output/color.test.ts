import { describe, expect, it } from 'vitest';
import { shouldColor } from './color.js';

describe('shouldColor', () => {
  it('colours a TTY and not a pipe', () => {
    expect(shouldColor({ isTTY: true, env: {} })).toBe(true);
    expect(shouldColor({ isTTY: false, env: {} })).toBe(false);
  });

  it('turns colour off for any non-empty NO_COLOR, and ignores an empty one', () => {
    expect(shouldColor({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    expect(shouldColor({ isTTY: true, env: { NO_COLOR: '0' } })).toBe(false);
    expect(shouldColor({ isTTY: true, env: { NO_COLOR: '' } })).toBe(true);
  });

  it('turns colour off for --no-color and TERM=dumb', () => {
    expect(shouldColor({ isTTY: true, env: {}, noColor: true })).toBe(false);
    expect(shouldColor({ isTTY: true, env: { TERM: 'dumb' } })).toBe(false);
  });

  it('lets --force-color win over a pipe, NO_COLOR and --no-color', () => {
    expect(shouldColor({ isTTY: false, env: { NO_COLOR: '1' }, forceColor: true, noColor: true })).toBe(true);
  });

  it('honours FORCE_COLOR for pipes unless it is 0 or false, and lets NO_COLOR win over it', () => {
    expect(shouldColor({ isTTY: false, env: { FORCE_COLOR: '1' } })).toBe(true);
    expect(shouldColor({ isTTY: false, env: { FORCE_COLOR: '' } })).toBe(true);
    expect(shouldColor({ isTTY: true, env: { FORCE_COLOR: '0' } })).toBe(false);
    expect(shouldColor({ isTTY: true, env: { FORCE_COLOR: 'false' } })).toBe(false);
    expect(shouldColor({ isTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).toBe(false);
  });
});
