import { TargetSyntaxError } from './errors.js';
import { compileGlob } from './glob.js';
import { compilePcre, safeRegex } from './pcre.js';
import { pythonStr } from './python-str.js';
import type { TargetMatcher } from './target-types.js';

type ValueTest = (lowered: string) => boolean;

/** How {@link compileGrainMatcher} reads a grain target. */
export interface GrainMatcherOptions {
  /** `glob` for `-G`/`G@`, `pcre` for `-P`/`P@`. */
  mode: 'glob' | 'pcre';
  /** What separates keys, as in `G%@os%Debian`. @default ':' */
  delimiter?: string | undefined;
  /** Which facts to match: grains (`G@ P@`) or the compiled pillar (`I@ J@`). @default 'grains' */
  source?: 'grains' | 'pillar';
}
type Mode = GrainMatcherOptions['mode'];
type Dict = Readonly<Record<string, unknown>>;

/** What {@link traverseGrains} returns for a path that leads nowhere (Salt's default `{}`). */
const MISSING: unique symbol = Symbol('missing');
const PY_INT = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
const COMPARISON = /(>=|<=|==|!=|>|<)/;
/**
 * Most map visits one minion may cost. Salt's recursion is exponential in the number of `:` for
 * grains nested as deep as the expression (a hostile minion can send such grains); past this a
 * minion does not match.
 */
export const MAX_GRAIN_MATCH_STEPS = 10_000;

/** Looks up a `:`-separated key path in nested grains; own keys only. */
export function grainAt(grains: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let cur: unknown = grains;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Compiles the body of a grain target (`os:Debian*` for `G@`/`-G`, `os:(RedHat|Fedora)` for
 * `P@`/`-P`) into Salt's `subdict_match` (`salt/utils/data.py`), line for line: every split of
 * `a:b:c` is tried, deepest key first; keys are looked up exactly, in maps inside lists too, and
 * by (negative) index in lists; a leading `*` segment searches every value; values are compared
 * as Python prints them, lowercased, pattern included (so `-P` turns `\S` into `\s`, as Salt
 * does). `pos` is the offset of `body` in the expression, for errors. A body without the
 * delimiter matches nothing, as in Salt.
 */
export function compileGrainMatcher(body: string, pos: number, options: GrainMatcherOptions): TargetMatcher {
  const { mode, delimiter = ':', source = 'grains' } = options;
  if (body === '' || body.startsWith(delimiter))
    throw TargetSyntaxError.at(`expected a ${source === 'pillar' ? 'pillar key' : 'grain name'}`, pos);
  if (!body.includes(delimiter)) {
    if (mode === 'glob' && COMPARISON.test(body)) {
      // Brine's old comparison form; in Salt this word matches nothing, so say what to write.
      throw TargetSyntaxError.at(`grain comparisons are written C@${body}`, pos);
    }
    return () => false; // "Delimiter not present, this can't possibly be a match"
  }
  const matcher = new SubdictMatcher(compileTests(body, pos, { mode, delimiter }));
  // Salt's pillar matcher is the same subdict_match over the minion's pillar (salt/matchers/pillar_match.py).
  if (source === 'pillar') return (m) => m.pillar !== undefined && matcher.matchGrains(m.pillar, body, delimiter);
  return (m) => matcher.matchGrains(m.grains, body, delimiter);
}

/**
 * Every pattern `subdict_match` can try for `body` is a tail of it after a delimiter or a `:`
 * (with a leading `*:` cut off). Globs are all compiled here. Of the regexes, the one a person
 * means (after the first delimiter) is compiled here, so a bad one is refused; the others, which
 * only grains with those keys reach, on first use: a body of 500 `:` would otherwise compile 500
 * regexes up to 1,024 characters long.
 */
function compileTests(body: string, pos: number, options: { mode: Mode; delimiter: string }): Map<string, ValueTest> {
  const { mode, delimiter } = options;
  const tests = new Map<string, ValueTest>();
  const starts = new Set<number>([0]);
  for (const sep of new Set([delimiter, ':'])) {
    for (let i = body.indexOf(sep); i !== -1; i = body.indexOf(sep, i + 1)) starts.add(i + sep.length);
  }
  const firstTail = body.indexOf(delimiter) + delimiter.length;
  for (const start of starts) {
    const raw = body.slice(start);
    const stripped = raw.replace(/^\*:/, '');
    for (const tail of [raw, stripped]) {
      if (tests.has(tail)) continue;
      if (mode === 'glob') {
        tests.set(tail, compileGlob(tail.toLowerCase()));
        continue;
      }
      if (start !== firstTail || tail !== stripped) {
        tests.set(tail, lazyPcre(tail));
        continue;
      }
      try {
        tests.set(tail, compilePcre(tail.toLowerCase(), pos + start + (raw.length - tail.length)));
      } catch (err) {
        // Salt logs an invalid regex and treats that split as no match; the split a person means
        // (grain, then pattern, after any `*:`) is refused loudly instead.
        throw lowercased(err, tail);
      }
    }
  }
  return tests;
}

/** A regex compiled when first used; an invalid one never matches (Salt logs it, no match). */
function lazyPcre(pattern: string): ValueTest {
  let test: ValueTest | undefined;
  return (value) => {
    if (test === undefined) {
      const compiled = safeRegex(pattern.toLowerCase());
      test = compiled.ok ? compiled.regex.match : () => false;
    }
    return test(value);
  };
}

/** Says, where it may be why, that Salt lowercases `-P` patterns (`(?P<n>` becomes `(?p<n>`). */
function lowercased(err: unknown, pattern: string): unknown {
  if (!(err instanceof TargetSyntaxError) || pattern === pattern.toLowerCase()) return err;
  return new TargetSyntaxError(`${err.message} (grain regexes are lowercased, as in Salt)`, err.position);
}

/** Salt's `subdict_match`, `_dict_match` and `_match` over precompiled tests. */
class SubdictMatcher {
  private steps = 0;

  constructor(private readonly tests: ReadonlyMap<string, ValueTest>) {}

  /** Whether one minion's grains match; synchronous, so the step count is this call's alone. */
  matchGrains(grains: unknown, expr: string, delimiter: string): boolean {
    this.steps = 0;
    return this.match(grains, expr, delimiter);
  }

  private match(data: unknown, expr: string, delimiter: string): boolean {
    if (++this.steps > MAX_GRAIN_MATCH_STEPS) return false;
    const splits = expr.split(delimiter);
    if (splits.length === 1) return false; // "Delimiter not present, this can't possibly be a match"
    for (let idx = splits.length - 1; idx > 0; idx--) {
      const key = splits.slice(0, idx).join(delimiter);
      const whole = key === '*';
      const pattern = whole ? expr : splits.slice(idx).join(delimiter);
      const found = whole ? data : traverseGrains(data, key, delimiter);
      if (found === MISSING || isEmptyDict(found)) continue;
      if (isDict(found)) {
        if (this.dictMatch(found, pattern)) return true;
      } else if (Array.isArray(found)) {
        for (const member of found) {
          if (isDict(member) && this.dictMatch(member, pattern)) return true;
          if (this.valueMatch(member, pattern)) return true;
        }
      } else if (this.valueMatch(found, pattern)) return true;
    }
    return false;
  }

  private dictMatch(target: Dict, pattern: string): boolean {
    if (++this.steps > MAX_GRAIN_MATCH_STEPS) return false;
    const wildcard = pattern.startsWith('*:');
    const rest = wildcard ? pattern.slice(2) : pattern;
    // A key matches exactly, case and all; "*" only checks that the map is there.
    if (rest === '*' || Object.hasOwn(target, rest)) return true;
    // Salt recurses with the default delimiter, whatever the target's own.
    if (this.match(target, rest, ':')) return true;
    if (!wildcard) return false;
    for (const key of Object.keys(target)) {
      const value = target[key];
      if (isDict(value)) {
        if (this.dictMatch(value, rest)) return true;
      } else if (Array.isArray(value)) {
        for (const item of value) if (this.valueMatch(item, rest)) return true;
      } else if (this.valueMatch(value, rest)) return true;
    }
    return false;
  }

  private valueMatch(value: unknown, pattern: string): boolean {
    const test = this.tests.get(pattern);
    return test !== undefined && test(pythonStr(value).toLowerCase());
  }
}

/**
 * Salt's `traverse_dict_and_list`: follows `key` (split on `delimiter`) through maps by exact key
 * and through lists by integer index (negative counts from the end) or, for a word, into the
 * first map in the list that has that key. Returns {@link MISSING} where the path leads nowhere.
 */
function traverseGrains(data: unknown, key: string, delimiter: string): unknown {
  let ptr = data;
  for (const each of key.split(delimiter)) {
    if (Array.isArray(ptr)) {
      const list: readonly unknown[] = ptr;
      if (PY_INT.test(each)) {
        // Salt first tries the number as a key of embedded maps; JSON keys are never numbers.
        const idx = Number(each.trim().replace(/_/g, ''));
        const at = idx < 0 ? list.length + idx : idx;
        if (at < 0 || at >= list.length) return MISSING;
        ptr = list[at];
      } else {
        const owner = list.find((item) => isDict(item) && Object.hasOwn(item, each));
        if (owner === undefined) return MISSING;
        ptr = (owner as Dict)[each];
      }
    } else if (isDict(ptr) && Object.hasOwn(ptr, each)) ptr = ptr[each];
    else return MISSING;
  }
  return ptr;
}

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function isEmptyDict(v: unknown): boolean {
  if (!isDict(v)) return false;
  for (const key in v) if (Object.hasOwn(v, key)) return false;
  return true;
}
