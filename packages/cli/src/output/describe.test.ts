import type { MinionResult } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { createPalette, stripControl } from './ansi.js';
import { didNotReturnLine, formatSeconds, nonReturnText } from './describe.js';

const nr = (outcome: MinionResult['outcome'], reason?: string, durationMs?: number): MinionResult => ({
  id: 'm',
  outcome,
  success: false,
  ...(reason === undefined ? {} : { reason }),
  ...(durationMs === undefined ? {} : { durationMs }),
});

describe('nonReturnText', () => {
  it.each([
    [nr('offline', 'not_connected'), 'offline'],
    [nr('no_ack', 'ack_timeout'), 'no ack'],
    [nr('timed_out', 'job_timeout_running', 5000), 'timed out after 5 s, still running'],
    [nr('timed_out', 'job_timeout'), 'timed out after 60 s'],
    [nr('cancelled', 'cancelled'), 'cancelled'],
    [nr('cancelled', 'first_reached'), 'cancelled, --first reached'],
    [nr('interrupted', 'minion_restarted'), 'interrupted, minion restarted'],
    [nr('offline', 'some_new_reason'), 'some_new_reason'],
    [nr('interrupted'), 'interrupted'],
    [nr('timed_out', undefined, 2500), 'timed out after 2.5 s'],
  ])('describes %o as %j', (result, text) => {
    expect(nonReturnText(result, 60_000)).toBe(text);
  });

  it('leaves the time out when nothing says how long', () => {
    expect(nonReturnText(nr('timed_out', 'job_timeout_running'))).toBe('timed out, still running');
  });
});

describe('didNotReturnLine', () => {
  it('writes Salt’s line, plus the identifier when verbose', () => {
    expect(didNotReturnLine(nr('offline', 'not_connected'), { verbose: false })).toBe(
      'Minion did not return. [offline]',
    );
    expect(didNotReturnLine(nr('offline', 'not_connected'), { verbose: true })).toBe(
      'Minion did not return. [offline] (not_connected)',
    );
  });
});

describe('helpers', () => {
  it('formats seconds', () => {
    expect([250, 1000, 2500, 5049].map(formatSeconds)).toStrictEqual(['250 ms', '1 s', '2.5 s', '5 s']);
  });

  it('strips escape sequences and controls but keeps tabs and newlines', () => {
    expect(stripControl('a\x1b[31mred\x1b[0m\tb\r\nc\x07\x1b]0;title\x07d\u009b')).toBe('ared\tb\ncd');
  });

  it('paints only when enabled', () => {
    expect(createPalette(false).red('x')).toBe('x');
    expect(createPalette(true).red('x')).toBe('\x1b[0;31mx\x1b[0m');
  });
});
