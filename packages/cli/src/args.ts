import { isScalar, parseDocument } from 'yaml';

import { UsageError } from './errors.js';

export { UsageError };

/** Positional arguments and keyword arguments for one `module.function` call. */
export interface FunctionArgs {
  args: unknown[];
  kwargs: Record<string, unknown>;
}

// Salt's KWARG_REGEX also allows `.` and `-` in the key; ours takes identifiers only, so a URL or
// `a.b=c` stays positional. `(?!=)` keeps `a==b` positional, as in Salt, and so does a newline
// (Salt: "Don't pull args with key=val apart if it has a newline in it").
const KWARG = /^([A-Za-z_][A-Za-z0-9_]*)=(?!=)([^\n]*)$/;
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const NULL_WORDS: ReadonlySet<string> = new Set(['null', 'Null', 'NULL', '~', 'None']);

/**
 * Splits the words after `module.function` into args and kwargs the way Salt's `parse_input` does:
 * `key=value` (key an identifier) becomes a kwarg, anything else a positional arg, and every value
 * goes through {@link yamlifyArg}. A later `key=` wins over an earlier one.
 * @throws {UsageError} for the keys `__proto__`, `constructor` and `prototype`.
 */
export function parseFunctionArgs(words: readonly string[]): FunctionArgs {
  const args: unknown[] = [];
  const kwargs: Record<string, unknown> = {};
  for (const word of words) {
    const m = KWARG.exec(word);
    if (m === null) {
      args.push(yamlifyArg(word));
      continue;
    }
    const key = m[1]!;
    if (FORBIDDEN_KEYS.has(key)) throw new UsageError(`keyword argument "${key}" is not allowed (in "${word}")`);
    kwargs[key] = yamlifyArg(m[2]!);
  }
  return { args, kwargs };
}

/**
 * Turns one command-line word into a value like Salt's `yamlify_arg`: `1` → 1, `true`/`True` → true,
 * `null`/`None`/`~` → null, `[1, 2]` → a list, `{a: 1}` → an object, `"1"` → the string `1`.
 * Whatever is not one of those stays the word itself, unchanged.
 *
 * Deviations from Salt, each so a word never loses content or becomes something JSON cannot carry:
 * YAML 1.2 (so `yes`/`on` stay strings and `0755` is 755, as Salt's loader also makes it); an unquoted
 * string is returned as typed, not re-folded or cut at `#`; infinities, NaN, integers beyond 2^53,
 * binary and self-referencing aliases stay strings.
 * @throws {UsageError} when a parsed object has a `__proto__` key.
 */
export function yamlifyArg(word: string): unknown {
  if (word.trim() === '') return word;
  // Salt: digits and underscores would load as one int (`1_000` → 1000); keep the word.
  if (/^[\d_]+$/.test(word.trim()) && word.includes('_')) return word;
  if (word === 'None') return null;
  const doc = parseDocument(word, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return word;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return word;
  }
  // Only a quoted scalar becomes a string, and only a null word becomes null (`#` is a comment to YAML).
  const quoted =
    isScalar(doc.contents) && (doc.contents.type === 'QUOTE_DOUBLE' || doc.contents.type === 'QUOTE_SINGLE');
  if (typeof value === 'string' && !quoted) return word;
  if (value === null && !NULL_WORDS.has(word.trim())) return word;
  // Salt: a mapping must be written in braces and a list in brackets, so `a: b` and `- x` stay words.
  if (Array.isArray(value) && !word.startsWith('[')) return word;
  if (isPlainObject(value) && !word.startsWith('{')) return word;
  return isJsonSafe(value, [], word) ? normalize(value) : word;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Whether `v` is JSON data that survives a round trip; `ancestors` catches `&a [*a]` cycles. */
function isJsonSafe(v: unknown, ancestors: unknown[], word: string): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v));
  if (ancestors.includes(v)) return false;
  const inner = [...ancestors, v];
  if (Array.isArray(v)) return v.every((item) => isJsonSafe(item, inner, word));
  if (!isPlainObject(v)) return false;
  for (const [key, item] of Object.entries(v)) {
    if (key === '__proto__') throw new UsageError(`key "__proto__" is not allowed (in "${word}")`);
    if (!isJsonSafe(item, inner, word)) return false;
  }
  return true;
}

/** `-0` prints as `0` but is not `0` to `Object.is`; make it plain 0. */
function normalize(v: unknown): unknown {
  return Object.is(v, -0) ? 0 : v;
}

/** How {@link parseDuration} reads a flag's value. */
export interface DurationOptions {
  /** The flag as the user typed it, for the error message, e.g. `--timeout`. */
  flag: string;
  /** Accept `0`. @default false */
  allowZero?: boolean;
  /** Largest accepted value, in ms. @default 86_400_000 (one day, the API's limit) */
  maxMs?: number;
}

const DURATION = /^(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Parses a duration flag into whole milliseconds, rounding up. A bare number is seconds, as in
 * Salt's `-t 5`; `500ms`, `30s`, `2m` and `1h` are accepted too. Use it from commander as
 * `.argParser((v) => parseDuration(v, { flag: '--timeout' }))`.
 * @throws {UsageError} naming the flag and the value when it is not a positive duration.
 */
export function parseDuration(value: string, options: DurationOptions): number {
  const m = DURATION.exec(value.trim());
  const ms = m === null ? NaN : Math.ceil(Number(m[1]) * UNIT_MS[(m[2] ?? 's') as keyof typeof UNIT_MS]);
  const maxMs = options.maxMs ?? 86_400_000;
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && options.allowZero !== true) || ms > maxMs) {
    const range = options.allowZero === true ? 'zero or more' : 'a positive number of';
    throw new UsageError(
      `${options.flag}: "${value}" is not a duration; expected ${range} seconds (or 500ms, 2m, 1h), at most ${maxMs / 1000} s`,
    );
  }
  return ms;
}

/**
 * Parses Salt's `-b/--batch` value: a count (`10` → 10) or a percentage of the targets
 * (`25%` → `'25%'`, from 1% to 100%), the two forms the jobs API accepts.
 * @throws {UsageError} naming the flag and the value otherwise.
 */
export function parseBatch(value: string, flag = '--batch'): number | `${number}%` {
  const m = /^(\d+)(%?)$/.exec(value.trim());
  const n = m === null ? NaN : Number(m[1]);
  const percent = m?.[2] === '%';
  if (!Number.isSafeInteger(n) || n < 1 || (percent && n > 100)) {
    throw new UsageError(`${flag}: "${value}" is not a batch size; expected a count like 10 or a percentage like 25%`);
  }
  return percent ? `${n}%` : n;
}
