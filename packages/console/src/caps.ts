/**
 * What the console shows and offers, read from the ACL entries `/api/v1/whoami` answers. The
 * master checks every call again; this only keeps the console from offering what would be
 * refused (issue #22: "shows and offers only what the user's ACL allows").
 */
import type { WhoAmI } from './api.js';

/** The console's views of one user's grants. */
export interface Caps {
  admin: boolean;
  /** Runs some function on some target. */
  run: boolean;
  /** Sees jobs: every job with `@jobs`, only their own with a function grant. */
  jobs: boolean;
  keys: boolean;
  minions: boolean;
  events: boolean;
  /** Function patterns the ACL names (globs or Salt regexes), for the completion list. */
  functionPatterns: string[];
}

function collectFunctions(entry: unknown, out: string[]): void {
  if (typeof entry === 'string') out.push(entry);
  else if (Array.isArray(entry)) for (const e of entry) collectFunctions(e, out);
  else if (entry && typeof entry === 'object') for (const k of Object.keys(entry)) out.push(k);
}

/** Reads the caps of a `whoami` answer. */
export function capsOf(who: WhoAmI): Caps {
  const areas = new Set(who.perms.filter((p): p is string => typeof p === 'string' && p.startsWith('@')));
  const functionPatterns: string[] = [];
  let run = false;
  for (const p of who.perms) {
    if (typeof p === 'string' && p.startsWith('@')) continue;
    run = true;
    if (typeof p === 'string') functionPatterns.push(p);
    else if (p && typeof p === 'object') for (const funs of Object.values(p)) collectFunctions(funs, functionPatterns);
  }
  const can = (a: string) => who.admin || areas.has(a);
  return {
    admin: who.admin,
    run: who.admin || run,
    jobs: can('@jobs') || run,
    keys: can('@keys'),
    minions: can('@minions'),
    events: can('@events') || can('@jobs') || can('@keys') || run,
    functionPatterns: who.admin ? ['.*'] : functionPatterns,
  };
}

/** Whether a function name matches an ACL function pattern, read as a glob or a Salt regex. */
export function patternAllows(pattern: string, fun: string): boolean {
  const glob = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  if (glob.test(fun)) return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(fun);
  } catch {
    return false;
  }
}
