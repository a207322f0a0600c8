import { describe, expect, it } from 'vitest';
import { createPalette, stripControl } from './ansi.js';

describe('helpers', () => {
  it('strips escape sequences and controls but keeps tabs and newlines', () => {
    expect(stripControl('a\x1b[31mred\x1b[0m\tb\r\nc\x07\x1b]0;title\x07d\u009b')).toBe('ared\tb\ncd');
  });

  it('paints only when enabled', () => {
    expect(createPalette(false).red('x')).toBe('x');
    expect(createPalette(true).red('x')).toBe('\x1b[0;31mx\x1b[0m');
  });
});
