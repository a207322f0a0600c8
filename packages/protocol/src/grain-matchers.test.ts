import { describe, expect, it } from 'vitest';
import { MAX_GRAIN_MATCH_STEPS, compileGrainMatcher } from './grain-matchers.js';

describe('compileGrainMatcher', () => {
  it('bounds the work of one minion whose grains nest as deep as the expression', () => {
    // Salt's subdict_match tries every split and recurses into each map it finds: for `a:a:…:a:z`
    // over grains nested `a` → `a` → … that is 2^depth calls. A hostile minion can send them.
    let grains: Record<string, unknown> = { a: 'leaf' };
    for (let i = 0; i < 40; i++) grains = { a: grains };
    const match = compileGrainMatcher(`${'a:'.repeat(40)}zzz`, 0, { mode: 'glob' });
    const started = performance.now();
    expect(match({ id: 'hostile', grains })).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(MAX_GRAIN_MATCH_STEPS).toBe(10_000);
  });

  it('still matches deep grains that a real expression reaches', () => {
    let grains: Record<string, unknown> = { a: 'leaf' };
    for (let i = 0; i < 40; i++) grains = { a: grains };
    expect(compileGrainMatcher(`${'a:'.repeat(41)}leaf`, 0, { mode: 'glob' })({ id: 'm', grains })).toBe(true);
  });
});

describe('compileGrainMatcher for regexes', () => {
  it('compiles only the regex a person means up front, however many delimiters the body has', () => {
    const body = `${'a:'.repeat(500)}x`;
    const started = performance.now();
    const match = compileGrainMatcher(body, 0, { mode: 'pcre' });
    expect(performance.now() - started).toBeLessThan(100);
    expect(match({ id: 'm', grains: { a: 'a:'.repeat(499) + 'x' } })).toBe(true);
  });
});
