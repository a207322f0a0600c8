import { describe, expect, it } from 'vitest';
import type { MinionResult } from './api.js';
import { didNotReturnLine, formatSeconds, reasonForOutcome } from './outcome-reasons.js';

const nr = (outcome: MinionResult['outcome'], reason?: string, durationMs?: number) => ({
  outcome,
  ...(reason === undefined ? {} : { reason }),
  ...(durationMs === undefined ? {} : { durationMs }),
});

describe('reasonForOutcome', () => {
  it.each([
    [nr('offline', 'not_connected'), 'offline'],
    [nr('offline', 'unknown_minion'), 'offline, unknown minion'],
    [nr('no_ack', 'ack_timeout'), 'no ack'],
    [nr('no_ack', 'disconnected_before_ack'), 'disconnected before ack'],
    [nr('no_ack', 'refused'), 'refused'],
    [nr('no_ack', 'ERR_EXECUTOR_BUSY'), 'refused, ERR_EXECUTOR_BUSY'],
    [nr('offline', 'ERR_SOMETHING'), 'ERR_SOMETHING'],
    [nr('timed_out', 'job_timeout_running', 5000), 'timed out after 5 s, still running'],
    [nr('timed_out', 'job_timeout_disconnected', 1500), 'timed out after 1.5 s, minion disconnected'],
    [nr('timed_out', 'job_timeout'), 'timed out after 60 s'],
    [nr('cancelled', 'cancelled'), 'cancelled'],
    [nr('cancelled', 'failhard'), 'cancelled by --failhard'],
    [nr('cancelled', 'first_reached'), 'cancelled, --first reached'],
    [nr('cancelled', 'deadline'), 'cancelled, --deadline passed'],
    [nr('interrupted', 'minion_restarted'), 'interrupted, minion restarted'],
    [nr('interrupted', 'master_restarted'), 'interrupted, master restarted'],
    [nr('offline', 'some_new_reason'), 'some_new_reason'],
    [nr('offline', 'two words\x1b[31m'), 'offline'],
    [nr('offline', 'toString'), 'toString'],
    [nr('interrupted'), 'interrupted'],
    [nr('no_ack'), 'no ack'],
    [nr('timed_out', undefined, 2500), 'timed out after 2.5 s'],
  ])('describes %o as %j', (result, text) => {
    expect(reasonForOutcome(result, 60_000)).toBe(text);
  });

  it('leaves the time out when nothing says how long', () => {
    expect(reasonForOutcome(nr('timed_out', 'job_timeout_running'))).toBe('timed out, still running');
  });
});

describe('didNotReturnLine', () => {
  it('writes Salt’s line, plus the identifier when verbose', () => {
    expect(didNotReturnLine(nr('offline', 'not_connected'))).toBe('Minion did not return. [offline]');
    expect(didNotReturnLine(nr('offline', 'not_connected'), { verbose: true })).toBe(
      'Minion did not return. [offline] (not_connected)',
    );
  });

  it('shows the timeout asked for when the result has no duration', () => {
    expect(didNotReturnLine(nr('timed_out', 'job_timeout'), { timeoutMs: 250 })).toBe(
      'Minion did not return. [timed out after 250 ms]',
    );
  });

  it('leaves out a verbose reason that is not an identifier', () => {
    expect(didNotReturnLine(nr('offline', 'a\x07b'), { verbose: true })).toBe('Minion did not return. [offline]');
  });
});

describe('formatSeconds', () => {
  it('writes milliseconds under a second and tenths of seconds above', () => {
    expect([250, 1000, 2500, 5049].map(formatSeconds)).toStrictEqual(['250 ms', '1 s', '2.5 s', '5 s']);
  });
});
