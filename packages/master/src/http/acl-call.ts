import { globMatch, type TargetMatcher } from '@brine/protocol';
import type { ArgSpecConfig } from '../config-auth.js';

/** A function call as the ACL checks it. */
export interface Call {
  fun: string;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
}

/** One compiled function grant: which minions (all when no target), which function, which arguments. */
export interface FunGrant {
  target?: TargetMatcher | undefined;
  fun: string;
  /** Argument patterns; any one that matches allows the call. No patterns: any arguments. */
  args?: readonly ArgSpecConfig[] | undefined;
}

/** An argument as its pattern sees it: strings as they are, anything else as JSON. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
}

function specAllows(spec: ArgSpecConfig, call: Call): boolean {
  const positional = spec.args ?? [];
  // Stricter than Salt, which lets extra arguments through: a listed pattern constrains its
  // position, and a call may not add positions or keywords the grant does not list.
  if (call.args.length !== positional.length) return false;
  if (!positional.every((p, i) => p === null || globMatch(p, text(call.args[i])))) return false;
  const keywords = spec.kwargs ?? {};
  const given = Object.keys(call.kwargs);
  if (given.some((k) => !Object.hasOwn(keywords, k))) return false;
  return Object.entries(keywords).every(
    ([k, p]) => Object.hasOwn(call.kwargs, k) && (p === null || globMatch(p, text(call.kwargs[k]))),
  );
}

/** Whether a grant allows a call's function and arguments (its target is checked by the caller). */
export function callAllowed(grant: FunGrant, call: Call): boolean {
  if (!globMatch(grant.fun, call.fun)) return false;
  if (grant.args === undefined) return true;
  return grant.args.some((spec) => specAllows(spec, call));
}
