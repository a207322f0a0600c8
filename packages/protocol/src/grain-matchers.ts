import { TargetSyntaxError } from './errors.js';
import { compileGlob } from './glob.js';
import { compilePcre } from './pcre.js';
import type { TargetMatcher } from './target-types.js';

type ValueTest = (value: string) => boolean;
type Scalar = string | number | boolean;
type Operator = '>=' | '<=' | '==' | '!=' | '>' | '<';

const COMPARISON = /(>=|<=|==|!=|>|<)/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

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
 * Compiles the body of a grain target (`os:Debian*` for `G@`, `os:(RedHat|Fedora)` for `P@`,
 * `num_cpus>=4` for a comparison). As Salt's `subdict_match`, `a:b:c` is tried both as key `a`
 * with pattern `b:c` and as key `a:b` with pattern `c`, values are compared case-insensitively,
 * a list matches if any element does and a map matches if any of its keys does. `pos` is the
 * offset of `body` in the expression, for errors.
 */
export function compileGrainMatcher(body: string, pos: number, mode: 'glob' | 'pcre'): TargetMatcher {
  const operator = mode === 'glob' ? COMPARISON.exec(body) : null;
  if (operator) return compileComparison(body, operator.index, operator[1] as Operator, pos);
  const parts = body.split(':');
  if (parts[0] === '') throw TargetSyntaxError.at('expected a grain name', pos);
  if (parts.length < 2) {
    const what = mode === 'glob' ? "expected ':' or a comparison operator" : "expected ':'";
    throw TargetSyntaxError.at(`${what} after the grain name`, pos + body.length);
  }
  const candidates: { path: string[]; test: ValueTest }[] = [];
  let firstError: unknown;
  for (let i = 1; i < parts.length; i++) {
    const path = parts.slice(0, i);
    const pattern = parts.slice(i).join(':');
    try {
      const test = mode === 'glob' ? compileGlob(pattern, { ignoreCase: true }) : regexTest(pattern, pos, path);
      candidates.push({ path, test });
    } catch (err) {
      firstError ??= err;
    }
  }
  if (candidates.length === 0) throw firstError;
  return (m) => {
    for (const { path, test } of candidates) if (valueMatches(grainAt(m.grains, path), test)) return true;
    return false;
  };
}

function regexTest(pattern: string, pos: number, path: readonly string[]): ValueTest {
  const re = compilePcre(pattern, pos + path.join(':').length + 1, 'i');
  return (v) => re.test(v);
}

function valueMatches(value: unknown, test: ValueTest): boolean {
  if (Array.isArray(value)) {
    for (const item of value)
      if (isMap(item) ? keyMatches(item, test) : isScalar(item) && test(String(item))) return true;
    return false;
  }
  if (isMap(value)) return keyMatches(value, test);
  return isScalar(value) && test(String(value));
}

function keyMatches(map: object, test: ValueTest): boolean {
  for (const key of Object.keys(map)) if (test(key)) return true;
  return false;
}

function compileComparison(body: string, at: number, operator: Operator, pos: number): TargetMatcher {
  const key = body.slice(0, at);
  const text = body.slice(at + operator.length);
  if (key === '') throw TargetSyntaxError.at(`expected a grain name before '${operator}'`, pos);
  if (text === '') throw TargetSyntaxError.at(`expected a value after '${operator}'`, pos + body.length);
  const path = key.split(':');
  const wanted = NUMBER.test(text) ? Number(text) : undefined;
  if (operator === '!=') {
    // `!=` is `not ==` for a grain that is there: no element of a list may equal the value.
    const equal = scalarTest('==', text, wanted);
    return (m) => {
      const value = grainAt(m.grains, path);
      return value !== undefined && value !== null && !someScalar(value, equal);
    };
  }
  const test = scalarTest(operator, text, wanted);
  return (m) => someScalar(grainAt(m.grains, path), test);
}

function someScalar(value: unknown, test: (v: Scalar) => boolean): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (isScalar(item) && test(item)) return true;
    return false;
  }
  return isScalar(value) && test(value);
}

/** Numbers compare as numbers; otherwise only `==` applies, as an exact string comparison. */
function scalarTest(
  operator: Exclude<Operator, '!='>,
  text: string,
  wanted: number | undefined,
): (v: Scalar) => boolean {
  const numeric = wanted === undefined ? undefined : numberTest(operator, wanted);
  return (v) => {
    if (numeric) {
      const n = toNumber(v);
      if (n !== undefined) return numeric(n);
    }
    return operator === '==' && String(v) === text;
  };
}

function numberTest(operator: Exclude<Operator, '!='>, b: number): (a: number) => boolean {
  switch (operator) {
    case '>=':
      return (a) => a >= b;
    case '<=':
      return (a) => a <= b;
    case '>':
      return (a) => a > b;
    case '<':
      return (a) => a < b;
    case '==':
      return (a) => a === b;
  }
}

function toNumber(v: Scalar): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  return typeof v === 'string' && NUMBER.test(v) ? Number(v) : undefined;
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function isMap(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
