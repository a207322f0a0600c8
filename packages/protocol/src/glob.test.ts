import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, globMatch, globToRegExp, isGlob } from './glob.js';

/** [pattern, value, matches] — each row is checked with both compileGlob and globToRegExp. */
const CASES: [string, string, boolean][] = [
  ['*', '', true],
  ['*', 'anything at all', true],
  ['web*', 'web1', true],
  ['web*', 'db1', false],
  ['*.example.com', 'web1.example.com', true],
  ['*.example.com', 'web1.example.org', false],
  ['web?', 'web1', true],
  ['web?', 'web', false],
  ['web?', 'web12', false],
  ['web[123]', 'web2', true],
  ['web[123]', 'web4', false],
  ['web[!123]', 'web4', true],
  ['web[!123]', 'web1', false],
  ['web[0-9]', 'web7', true],
  ['web[0-9]', 'weba', false],
  ['web[a-cx]', 'webx', true],
  ['web[!a-c]', 'webb', false],
  ['[]]', ']', true],
  ['[!]]', 'a', true],
  ['[!]]', ']', false],
  ['web[', 'web[', true],
  ['[a-]', '-', true],
  ['[z-a]', 'm', false],
  ['[!z-a]', 'm', true],
  ['a.c', 'abc', false],
  ['a.c', 'a.c', true],
  ['a+c', 'aac', false],
  ['(a|b)', 'a', false],
  ['(a|b)', '(a|b)', true],
  ['^a$', '^a$', true],
  ['a{2}', 'aa', false],
  ['a\\d', 'a\\d', true],
  ['a\\d', 'a1', false],
  ['a/b', 'a/b', true],
  ['*', 'two\nlines', true],
  ['a?c', 'a\nc', true],
  ['**a**', 'bab', true],
  ['*a*b*', 'xxaxxbxx', true],
  ['*a*b*', 'xxbxxaxx', false],
];

describe('compileGlob and globToRegExp', () => {
  it.each(CASES)('matches %j against %j as %s', (pattern, value, expected) => {
    expect(compileGlob(pattern)(value)).toBe(expected);
    expect(globToRegExp(pattern).test(value)).toBe(expected);
    expect(globMatch(pattern, value)).toBe(expected);
  });

  it('folds case when asked, as Salt does for grains', () => {
    expect(compileGlob('Debian*', { ignoreCase: true })('debian-12')).toBe(true);
    expect(compileGlob('debian', { ignoreCase: true })('DEBIAN')).toBe(true);
    expect(compileGlob('Debian*')('debian-12')).toBe(false);
  });

  it('stays fast on a pattern that makes a backtracking RegExp crawl', () => {
    const value = 'a-'.repeat(5000);
    const started = performance.now();
    expect(compileGlob('*-*-*-*-*-*-*x')(value)).toBe(false);
    expect(globMatch('*-*-*-*-*-*-*x', value)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('agrees with the RegExp translation on random patterns', () => {
    const pattern = fc.string({ unit: fc.constantFrom('a', 'b', '-', '*', '?', '[', ']', '!', '.'), maxLength: 10 });
    const value = fc.string({ unit: fc.constantFrom('a', 'b', '-', ']', '!', '.'), maxLength: 10 });
    fc.assert(
      fc.property(pattern, value, (p, v) => compileGlob(p)(v) === globToRegExp(p).test(v)),
      { seed: 7, numRuns: 5000 },
    );
  });
});

describe('isGlob', () => {
  it('tells a glob from a plain id', () => {
    expect(['web*', 'web?', 'web[12]'].map(isGlob)).toEqual([true, true, true]);
    expect(['web1', 'web1.example.com', 'a-b_c'].map(isGlob)).toEqual([false, false, false]);
  });
});
