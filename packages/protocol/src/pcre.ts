import { RE2JS } from 're2js';
import { TargetSyntaxError } from './errors.js';

/**
 * Longest regular expression accepted from a user, in UTF-16 code units. Salt has no limit; ours
 * bounds the compile work and the program that runs per minion (issue #13, finding 2).
 */
export const MAX_REGEX_LENGTH = 1024;
/**
 * Largest compiled program accepted (RE2's rough measure of cost: `a{1000}` is 1,002). Matching
 * is linear in the value, times this at worst: `.{0,999}!` (2,002) takes about 25 ms over
 * 10,000 minion ids on the reference machine.
 */
export const MAX_REGEX_PROGRAM_SIZE = 4096;

/** A regular expression that matches in time linear in the value: RE2 semantics, no backtracking. */
export interface SafeRegex {
  /** Whether it matches at the start of `value`, as Python's `re.match` (Salt's `-E`, `-P`, ACLs). */
  match(value: string): boolean;
  /** Whether it matches all of `value`, as Python's `re.fullmatch`. */
  fullMatch(value: string): boolean;
  /** Whether it matches anywhere in `value`, as Python's `re.search` and `RegExp#test`. */
  search(value: string): boolean;
}

/** The result of {@link safeRegex}: a compiled expression, or why it was refused (a sentence). */
export type SafeRegexResult = { ok: true; regex: SafeRegex } | { ok: false; message: string };

const FLAG_BITS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  s: RE2JS.DOTALL,
  m: RE2JS.MULTILINE,
};

/**
 * Compiles a user's regular expression, written in Python's syntax as Salt users write it, for a
 * linear-time engine (RE2, through re2js): a pattern like `(.|.)*!` cannot stall the caller.
 * Python's `(?i)`, `(?P<name>…)`, `\Z`, `\uXXXX`, `(?#…)`, `{,n}` are translated; what RE2 cannot
 * run in linear time (lookaround, backreferences, `(?x)`) is refused with a message saying so, as
 * is a pattern longer than {@link MAX_REGEX_LENGTH}. `flags` may hold `i`, `s` and `m`. Never throws.
 */
export function safeRegex(pattern: string, flags = ''): SafeRegexResult {
  if (pattern.length > MAX_REGEX_LENGTH) {
    return { ok: false, message: `regular expression longer than ${MAX_REGEX_LENGTH} characters` };
  }
  let bits = 0;
  for (const flag of flags) {
    const bit = FLAG_BITS[flag];
    if (bit === undefined) return { ok: false, message: `unknown regular expression flag '${flag}'` };
    bits |= bit;
  }
  const translated = translatePythonRegex(pattern);
  if (!translated.ok) return translated;
  const source = translated.source;
  let search: RE2JS;
  try {
    search = RE2JS.compile(source, bits);
  } catch (err) {
    return { ok: false, message: refusal(err) };
  }
  if (search.programSize() > MAX_REGEX_PROGRAM_SIZE) {
    return { ok: false, message: `regular expression too large (more than ${MAX_REGEX_PROGRAM_SIZE} steps)` };
  }
  // `\A` and `\z` anchor at the ends of the value even under the `m` flag, where `^`/`$` would not.
  const prefix = RE2JS.compile(`\\A(?:${source})`, bits);
  let whole: RE2JS | undefined;
  return {
    ok: true,
    regex: {
      match: (value) => prefix.test(value),
      fullMatch: (value) => (whole ??= RE2JS.compile(`\\A(?:${source})\\z`, bits)).test(value),
      search: (value) => search.test(value),
    },
  };
}

/**
 * Compiles a regular expression from a target, matched at the start of the value as Salt's
 * `re.match`. Throws a {@link TargetSyntaxError} at `pos` for one {@link safeRegex} refuses.
 */
export function compilePcre(source: string, pos: number): (value: string) => boolean {
  const compiled = safeRegex(source);
  if (!compiled.ok) throw TargetSyntaxError.at('invalid regular expression', pos, `: ${compiled.message}`);
  return compiled.regex.match;
}

function refusal(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/`\(\?<?[=!]|escape sequence: `\\[1-9]/.test(message)) {
    return `${message} (lookaround and backreferences are not supported: regexes run in linear time)`;
  }
  return message;
}

type Translation = { ok: true; source: string } | { ok: false; message: string };

/** Python-only syntax rewritten to RE2's; the scan knows escapes and character classes. */
function translatePythonRegex(pattern: string): Translation {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const escaped = translateEscape(pattern, i, inClass);
      out += escaped.text;
      i += escaped.length - 1;
    } else if (inClass) {
      out += c;
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      out += c;
      // A `]` first in the class (after an optional `^`) is a member, in Python as in RE2.
      const first = pattern[i + 1] === '^' ? i + 2 : i + 1;
      if (pattern[first] === ']') {
        out += pattern.slice(i + 1, first + 1);
        i = first;
      }
    } else if (c === '(' && pattern[i + 1] === '?') {
      const group = translateGroup(pattern, i);
      if (!group.ok) return group;
      out += group.text;
      i += group.length - 1;
    } else if (c === '{' && /^\{,\d+\}/.test(pattern.slice(i, i + 12))) {
      out += '{0'; // Python reads `{,3}` as `{0,3}`; RE2 would read it as text.
    } else out += c;
  }
  return { ok: true, source: out };
}

function translateEscape(pattern: string, i: number, inClass: boolean): { text: string; length: number } {
  const next = pattern[i + 1];
  if (next === 'Z' && !inClass) return { text: '\\z', length: 2 }; // Python's end of string
  if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(pattern.slice(i + 2, i + 6))) {
    return { text: `\\x{${pattern.slice(i + 2, i + 6)}}`, length: 6 };
  }
  if (next === 'U' && /^[0-9a-fA-F]{8}$/.test(pattern.slice(i + 2, i + 10))) {
    return { text: `\\x{${pattern.slice(i + 2, i + 10)}}`, length: 10 };
  }
  return { text: pattern.slice(i, i + 2), length: next === undefined ? 1 : 2 };
}

type GroupTranslation = { ok: true; text: string; length: number } | { ok: false; message: string };

/** `(?…` at `i`: comments dropped, `(?P=name)` refused, Python's inline flags mapped to RE2's. */
function translateGroup(pattern: string, i: number): GroupTranslation {
  const rest = pattern.slice(i + 2);
  if (rest.startsWith('#')) {
    const end = pattern.indexOf(')', i);
    if (end === -1) return { ok: false, message: 'missing ) after comment' };
    return { ok: true, text: '', length: end - i + 1 };
  }
  if (rest.startsWith('P=')) {
    return { ok: false, message: 'backreferences (?P=name) are not supported: regexes run in linear time' };
  }
  const flags = /^([aiLmsux]*)(?:-([imsx]*))?([:)])/.exec(rest);
  if (!flags || flags[0].length === 1) return { ok: true, text: '(?', length: 2 };
  const on = flags[1] ?? '';
  const off = flags[2] ?? '';
  if (/[xL]/.test(on + off)) {
    return { ok: false, message: 'inline flags x and L are not supported; write the pattern without them' };
  }
  // `a` (ASCII classes) is what RE2 does anyway; `u` (Unicode) is Python 3's default.
  const kept = on.replace(/[au]/g, '');
  const body = kept + (off ? `-${off}` : '');
  const close = flags[3]!;
  const length = 2 + flags[0].length;
  if (body === '') return { ok: true, text: close === ':' ? '(?:' : '', length };
  return { ok: true, text: `(?${body}${close}`, length };
}
