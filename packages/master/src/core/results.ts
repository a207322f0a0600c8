import type { MinionResult, OutcomeValue } from '@brine/protocol';

/** Reasons a minion did not return, as identifiers: protocol's table, where the words for them live too. */
export { Reason } from '@brine/protocol';

/** A result for a minion that did not return. */
export function nonReturn(id: string, outcome: Exclude<OutcomeValue, 'returned'>, reason: string): MinionResult {
  return { id, outcome, success: false, reason };
}
