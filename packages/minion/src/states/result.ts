import { MinionError } from '../errors.js';
import type { StateContext, StateResult } from './types.js';

/** A result with Salt's defaults: success, no comment, no changes. */
export function stateResult(name: string, fields: Partial<Omit<StateResult, 'name'>> = {}): StateResult {
  return { name, result: true, comment: '', changes: {}, ...fields };
}

/** A failed result: `result: false` with `comment` and no changes. */
export function failed(name: string, comment: string, changes: Record<string, unknown> = {}): StateResult {
  return { name, result: false, comment, changes };
}

/**
 * The result of a state that found work to do: under test mode `result: null` with the changes it
 * would make and `testComment`; otherwise runs `apply` and reports `comment` with the changes.
 */
export async function applyOrPredict(
  ctx: Pick<StateContext, 'test'>,
  name: string,
  plan: { changes: Record<string, unknown>; comment: string; testComment: string },
  apply: () => Promise<void>,
): Promise<StateResult> {
  if (ctx.test) return { name, result: null, comment: plan.testComment, changes: plan.changes };
  await apply();
  return { name, result: true, comment: plan.comment, changes: plan.changes };
}

/**
 * Runs a state body and turns a thrown error into `result: false` with its message, as Salt
 * reports an exception in a state ("An exception occurred in this state: ..."). A state function
 * never rejects for a host problem; the engine sees a failed result.
 */
export async function guarded(name: string, body: () => Promise<StateResult>): Promise<StateResult> {
  try {
    return await body();
  } catch (err) {
    return failed(name, errorText(err));
  }
}

/** A readable one-line text for any thrown value, with the minion's error code when it has one. */
export function errorText(err: unknown): string {
  if (err instanceof MinionError) return `${err.message} (${err.code})`;
  if (err instanceof Error) return err.message;
  return String(err);
}
