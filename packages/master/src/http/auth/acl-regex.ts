import { setFlagsFromString } from 'node:v8';

/** The longest regular expression an ACL may hold, in characters. */
export const ACL_REGEX_MAX_CHARS = 256;

/** A compiled ACL regular expression: tests a whole value in time linear in its length. */
export type AclRegex = (value: string) => boolean;

/** Why an ACL regular expression was refused. */
export class AclRegexError extends Error {
  /** Makes an error saying what is wrong with the expression. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Compiles an ACL regular expression, anchored at both ends (Salt's `re.match` anchors only the
 * start; a grant means the whole name). It runs on V8's non-backtracking engine (the `l` flag),
 * so a hostile value costs time linear in its length whatever the pattern (issue #13 finding 2):
 * constructs that need backtracking (back-references, lookaround) are refused here, at config
 * check, rather than run. `.` does not match a newline, as in Python's `re` without DOTALL.
 * This file is the one place the engine lives; swap it here.
 *
 * Throws {@link AclRegexError} for an expression that is too long, invalid, or not linear.
 */
export function compileAclRegex(source: string): AclRegex {
  if (source.length > ACL_REGEX_MAX_CHARS)
    throw new AclRegexError(`longer than ${ACL_REGEX_MAX_CHARS} characters (ACL_REGEX_MAX_CHARS)`);
  try {
    // Checked alone first: wrapped in a group, `a)|(b` would compile to something else.
    new RegExp(source);
  } catch (err) {
    throw new AclRegexError(`not a regular expression: ${(err as Error).message}`);
  }
  let re: RegExp;
  try {
    re = linear(`^(?:${source})$`);
  } catch {
    throw new AclRegexError('needs backtracking (back-references or lookaround), which an ACL may not use');
  }
  return (value) => re.test(value);
}

/** Whether a value matches an ACL regular expression as a whole (a one-off; prefer compiling once). */
export function aclRegexMatch(pattern: string, value: string): boolean {
  return compileAclRegex(pattern)(value);
}

/** V8's flag for its non-backtracking engine (unknown to ESLint's RegExp check). */
const LINEAR = 'l';

/** A RegExp on V8's linear-time engine, turning the engine on when the process has not. */
function linear(source: string): RegExp {
  try {
    return new RegExp(source, LINEAR);
  } catch (err) {
    if (!/flags/i.test((err as Error).message)) throw err;
    // The engine ships with Node 16+ behind a flag; setting it affects only RegExps made after
    // it with the `l` flag, which nothing else in the master uses.
    setFlagsFromString('--enable-experimental-regexp-engine');
    return new RegExp(source, LINEAR);
  }
}
