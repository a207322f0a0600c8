import { posix } from 'node:path';
import type { AclPattern } from './acl-pattern.js';

/** The longest argument value an ACL pattern is matched against; a longer one never matches. */
export const ACL_MAX_MATCHED_CHARS = 4096;

/**
 * What a wildcard-matched argument of a shell function may hold. With only these characters,
 * `/bin/sh -c` splits the text into words at spaces and expands, redirects and chains nothing:
 * no `;`, `&`, `|`, `$`, backticks, quotes, backslashes, newlines, tabs, globs (`*?[`), `~`,
 * `#`, `!`, braces, parentheses or `<>` (issue #13 finding 1). So the command that runs is the
 * argv the pattern was matched against, word for word.
 */
const SHELL_PLAIN = /^[A-Za-z0-9 _@%+=:,./-]*$/;

/** A pattern for a path: absolute, or a `brine://`-style URL. */
const PATH_PATTERN = /^(?:\/|[a-z][a-z0-9+.-]*:\/\/)/;

// Control characters never belong in a path the ACL reasons about.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Whether a function runs its argument through a shell: every `cmd.*` function but `cmd.exec`,
 * which runs an argv. (`cmd.script` runs its script with an argv, but the script may hand its
 * arguments to a shell, so it counts.)
 */
export function runsShell(fun: string): boolean {
  return fun.startsWith('cmd.') && fun !== 'cmd.exec';
}

/** An argument as its pattern sees it: strings as they are, anything else as JSON. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
}

/**
 * A path argument in the form its pattern is matched against: `.` segments and doubled slashes
 * dropped; undefined (no match) when it holds a `..` segment or a control character. `..` is
 * refused rather than resolved: the master cannot see the minion's symlinks, so `/srv/link/../x`
 * may be anywhere.
 */
export function normalisedPath(value: string): string | undefined {
  if (CONTROL.test(value)) return undefined;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(value)?.[0] ?? '';
  const path = value.slice(scheme.length);
  if (path.split('/').includes('..')) return undefined;
  return path === '' ? value : scheme + posix.normalize(path);
}

/**
 * Whether one argument value matches its pattern under the ACL's argument rules: a value the
 * pattern spells out in full (a glob without wildcards) matches itself; any other is refused when
 * longer than {@link ACL_MAX_MATCHED_CHARS}, refused for a shell function when it holds shell
 * syntax, normalised when the pattern is a path, and then matched.
 */
export function argMatches(pattern: AclPattern, value: unknown, shell: boolean): boolean {
  const t = text(value);
  if (pattern.literal) return t === pattern.source;
  if (t.length > ACL_MAX_MATCHED_CHARS) return false;
  if (shell && !SHELL_PLAIN.test(t)) return false;
  if (!PATH_PATTERN.test(pattern.source)) return pattern.test(t);
  const path = typeof value === 'string' ? normalisedPath(value) : undefined;
  return path !== undefined && pattern.test(path);
}
