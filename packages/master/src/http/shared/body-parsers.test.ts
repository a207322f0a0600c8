import { describe, expect, it } from 'vitest';
import { parseForm, quoteUnsafeIntegers } from './body-parsers.js';

describe('quoteUnsafeIntegers', () => {
  it('quotes integers beyond 2^53, keeping every digit, and leaves safe numbers as they are', () => {
    const text = '[{"jid": 20261207013137663000, "n": 9007199254740991, "m": -90071992547409930, "f": 1.5}]';
    expect(JSON.parse(quoteUnsafeIntegers(text))).toEqual([
      { jid: '20261207013137663000', n: 9007199254740991, m: '-90071992547409930', f: 1.5 },
    ]);
  });

  it('leaves digits inside strings alone, escaped quotes included, and fractions and exponents as numbers', () => {
    const text =
      '{"a": "x\\"12345678901234567890", "b": "\\\\", "c": 12345678901234567890.5, "d": 1234567890123456789e2}';
    expect(quoteUnsafeIntegers(text)).toBe(text);
  });

  it('returns text without a run of 16 digits untouched, and passes malformed JSON through', () => {
    expect(quoteUnsafeIntegers('{"a": 1}')).toBe('{"a": 1}');
    expect(quoteUnsafeIntegers('[12345678901234567890')).toBe('["12345678901234567890"');
  });
});

describe('parseForm', () => {
  it('makes a repeated key a list and drops prototype keys', () => {
    expect(parseForm('arg=a&arg=b&fun=test.arg&__proto__=x')).toEqual({ arg: ['a', 'b'], fun: 'test.arg' });
  });
});
