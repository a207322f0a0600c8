import type { MinionResult, OutcomeValue } from '@brine/protocol';

/** Reasons a minion did not return, as identifiers (the CLI turns them into words). */
export const Reason = {
  notConnected: 'not_connected',
  unknownMinion: 'unknown_minion',
  ackTimeout: 'ack_timeout',
  disconnectedBeforeAck: 'disconnected_before_ack',
  jobTimeoutRunning: 'job_timeout_running',
  jobTimeoutDisconnected: 'job_timeout_disconnected',
  jobTimeout: 'job_timeout',
  cancelled: 'cancelled',
  failhard: 'failhard',
  firstReached: 'first_reached',
  /** The job's overall deadline (`deadlineMs`) fell before the minion finished. */
  deadline: 'deadline',
  minionRestarted: 'minion_restarted',
  masterRestarted: 'master_restarted',
} as const;

/** A result for a minion that did not return. */
export function nonReturn(id: string, outcome: Exclude<OutcomeValue, 'returned'>, reason: string): MinionResult {
  return { id, outcome, success: false, reason };
}
