import type { JobSummary, MinionResult } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeForError, exitCodeForSummary } from './exit-codes.js';

const ok = (id: string): MinionResult => ({ id, outcome: 'returned', success: true, retcode: 0, ret: true });
const failed = (id: string): MinionResult => ({ id, outcome: 'returned', success: false, retcode: 1, ret: 'no' });
const missing = (id: string, outcome: MinionResult['outcome'], reason: string): MinionResult => ({
  id,
  outcome,
  success: false,
  reason,
});

/** The summary the master would send for these results. */
function summarize(results: MinionResult[], targeted = results.length): JobSummary {
  const returned = results.filter((r) => r.outcome === 'returned').length;
  const succeeded = results.filter((r) => r.success).length;
  return {
    jid: 'j',
    fun: 'test.ping',
    targeted,
    returned,
    succeeded,
    failed: returned - succeeded,
    didNotReturn: targeted - returned,
    success: targeted > 0 && succeeded === targeted,
    durationMs: 1,
  };
}

const code = (results: MinionResult[], targeted?: number): number =>
  exitCodeForSummary(summarize(results, targeted), results);

describe('exitCodeForSummary', () => {
  it('exits 0 when every minion returned success', () => {
    expect(code([ok('a'), ok('b')])).toBe(ExitCode.OK);
  });

  it('exits 1 when a minion returned a failure', () => {
    expect(code([ok('a'), failed('b')])).toBe(ExitCode.JOB_FAILED);
  });

  it.each([
    ['offline', 'not_connected'],
    ['no_ack', 'ack_timeout'],
    ['timed_out', 'job_timeout_running'],
    ['cancelled', 'cancelled'],
    ['interrupted', 'minion_restarted'],
  ] as const)('exits 2 when a minion is %s, never 0 as Salt did', (outcome, reason) => {
    expect(code([ok('a'), missing('b', outcome, reason)])).toBe(ExitCode.NOT_RETURNED);
  });

  it('prefers 1 over 2, so a --failhard job exits 1', () => {
    expect(code([failed('a'), missing('b', 'cancelled', 'failhard')])).toBe(ExitCode.JOB_FAILED);
  });

  it('does not count minions cancelled because --first was reached', () => {
    expect(code([ok('a'), missing('b', 'cancelled', 'first_reached')])).toBe(ExitCode.OK);
  });

  it('exits 2 when fewer results than targets arrived', () => {
    expect(code([ok('a')], 2)).toBe(ExitCode.NOT_RETURNED);
  });

  it('trusts a failing result over a summary that claims success', () => {
    expect(exitCodeForSummary(summarize([ok('a')]), [failed('a')])).toBe(ExitCode.JOB_FAILED);
  });

  it('exits 3 when no minion was targeted', () => {
    expect(code([])).toBe(ExitCode.NO_MATCH);
  });
});

describe('exitCodeForError', () => {
  it.each([
    ['ERR_AUTH_REQUIRED', ExitCode.AUTH],
    ['ERR_AUTH_FORBIDDEN', ExitCode.AUTH],
    ['ERR_NO_MINIONS_MATCHED', ExitCode.NO_MATCH],
    ['ERR_TARGET_SYNTAX', ExitCode.USAGE],
    ['ERR_REQUEST_INVALID', ExitCode.USAGE],
    ['ERR_CLI_USAGE', ExitCode.USAGE],
    ['ERR_INTERNAL', ExitCode.INTERNAL],
    ['ERR_SOMETHING_NEW', ExitCode.INTERNAL],
    ['toString', ExitCode.INTERNAL],
  ])('maps %s to %d', (c, exit) => {
    expect(exitCodeForError(c)).toBe(exit);
  });

  it('uses distinct codes', () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
  });
});
