import { compileGlob, isGlob } from '@brine/protocol';
import { ACL_REGEX_MAX_CHARS, AclRegexError, compileAclRegex } from './acl-regex.js';

/** A compiled function or argument pattern of an ACL. */
export interface AclPattern {
  /** The pattern as the config wrote it. */
  readonly source: string;
  /** Whether it is read as a regular expression (else as a glob). */
  readonly regex: boolean;
  /** Whether it is a glob without wildcards: it matches its own text only. */
  readonly literal: boolean;
  /** Whether a value matches the whole pattern. */
  test(value: string): boolean;
}

/** Characters that only a regular expression uses; a glob has none of them. */
const REGEX_ONLY = /[\\+()|^${}]/;

/**
 * Whether an ACL pattern is read as a regular expression: when it holds a character only a regex
 * uses (`\ + ( ) | ^ $ { }`), or holds `.*` and every `*` in it repeats something (follows `.`,
 * `]` or `)`), as in Salt's `.*` and `test.*`. Otherwise it is a glob: `*`, `web*`, `/srv/*`,
 * `*.log`, `ls *.*`.
 *
 * Each pattern has one reading, never "regex or glob, whichever matches": a glob read as a regex
 * as well would grant more than it says (`/srv/data*` would also match `/srv/dat`, `ls *.*` any
 * program whose name starts with `ls`). A pattern read as a regex where `.` was meant literally
 * (`test.*`) matches as Salt matches it: `.` is any character.
 */
export function isAclRegex(pattern: string): boolean {
  if (REGEX_ONLY.test(pattern)) return true;
  if (!pattern.includes('.*')) return false;
  return [...pattern.matchAll(/\*/g)].every((m) => m.index > 0 && '.])'.includes(pattern[m.index - 1]!));
}

/**
 * Compiles a function or argument pattern of an ACL: a regular expression as Salt's
 * `external_auth` writes them, or a glob as Brine's docs do (see {@link isAclRegex}). Both match
 * the whole value. Throws {@link AclRegexError} for a pattern that is too long, or a regex that is
 * invalid or would need backtracking.
 */
export function compileAclPattern(source: string): AclPattern {
  if (source.length > ACL_REGEX_MAX_CHARS)
    throw new AclRegexError(`longer than ${ACL_REGEX_MAX_CHARS} characters (ACL_REGEX_MAX_CHARS)`);
  const regex = isAclRegex(source);
  return {
    source,
    regex,
    literal: !regex && !isGlob(source),
    test: regex ? compileAclRegex(source) : compileGlob(source),
  };
}
