import type { TargetMatcher } from '@brine/protocol';
import type { ArgSpecConfig } from '../../config-auth.js';
import { argMatches, runsShell } from './acl-args.js';
import { compileAclPattern, type AclPattern } from './acl-pattern.js';

/** A function call as the ACL checks it. */
export interface Call {
  fun: string;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
}

/** Compiled argument patterns of one grant; `null` matches any value. */
export interface ArgSpec {
  args: readonly (AclPattern | null)[];
  kwargs: ReadonlyMap<string, AclPattern | null>;
}

/** One compiled function grant: which minions (all when no target), which function, which arguments. */
export interface FunGrant {
  target?: TargetMatcher | undefined;
  fun: AclPattern;
  /** Argument patterns; any one that matches allows the call. No patterns: any arguments. */
  args?: readonly ArgSpec[] | undefined;
}

/** Compiles the argument patterns of a grant; throws as {@link compileAclPattern} does. */
export function compileArgSpec(spec: ArgSpecConfig): ArgSpec {
  const one = (p: string | null) => (p === null ? null : compileAclPattern(p));
  return {
    args: (spec.args ?? []).map(one),
    kwargs: new Map(Object.entries(spec.kwargs ?? {}).map(([k, p]) => [k, one(p)])),
  };
}

function specAllows(spec: ArgSpec, call: Call, shell: boolean): boolean {
  // Stricter than Salt, which lets extra arguments through: a listed pattern constrains its
  // position, and a call may not add positions or keywords the grant does not list.
  if (call.args.length !== spec.args.length) return false;
  if (!spec.args.every((p, i) => p === null || argMatches(p, call.args[i], shell))) return false;
  const given = Object.keys(call.kwargs);
  if (given.some((k) => !spec.kwargs.has(k))) return false;
  return [...spec.kwargs].every(
    ([k, p]) => Object.hasOwn(call.kwargs, k) && (p === null || argMatches(p, call.kwargs[k], shell)),
  );
}

/** Whether a grant allows a call's function and arguments (its target is checked by the caller). */
export function callAllowed(grant: FunGrant, call: Call): boolean {
  if (!grant.fun.test(call.fun)) return false;
  if (grant.args === undefined) return true;
  const shell = runsShell(call.fun);
  return grant.args.some((spec) => specAllows(spec, call, shell));
}
