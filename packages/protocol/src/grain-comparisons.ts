import { TargetSyntaxError } from './errors.js';
import { grainAt } from './grain-matchers.js';
import type { TargetMatcher } from './target-types.js';

type Scalar = string | number | boolean;
type Operator = '>=' | '<=' | '==' | '!=' | '>' | '<';

const COMPARISON = /(>=|<=|==|!=|>|<)/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Compiles the body of a `C@` word, Brine's grain comparison (`num_cpus>=4`, `os==Debian`,
 * `roles!=db`): the grain path (exact `:`-separated keys) before the first operator, the value
 * after it. Numbers compare as numbers; otherwise only `==` and `!=` apply, as exact text. Salt has
 * no `C@`, so no Salt expression changes meaning (issue #14). `pos` is the offset of `body`.
 */
export function compileGrainComparison(body: string, pos: number): TargetMatcher {
  const operator = COMPARISON.exec(body);
  if (!operator) throw TargetSyntaxError.at('expected a comparison operator (>=, <=, ==, !=, >, <)', pos + body.length);
  return compileComparison(body, operator.index, operator[1] as Operator, pos);
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
