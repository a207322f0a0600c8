import { describe, expect, it } from 'vitest';
import { mergePillar } from './merge.js';

describe('mergePillar', () => {
  it('merges mappings recursively and replaces lists and scalars, changing neither input', () => {
    const a = { app: { port: 80, hosts: ['a'] }, keep: 1 };
    const b = { app: { hosts: ['b'], tls: true } };
    expect(mergePillar(a, b)).toEqual({ app: { port: 80, hosts: ['b'], tls: true }, keep: 1 });
    expect(a).toEqual({ app: { port: 80, hosts: ['a'] }, keep: 1 });
    expect(b).toEqual({ app: { hosts: ['b'], tls: true } });
  });

  it('joins lists without repeats with mergeLists, and replaces whole top-level keys with overwrite', () => {
    expect(mergePillar({ l: [1, { x: 1 }] }, { l: [{ x: 1 }, 2] }, { mergeLists: true })).toEqual({
      l: [1, { x: 1 }, 2],
    });
    expect(mergePillar({ app: { a: 1 }, k: 1 }, { app: { b: 2 } }, { strategy: 'overwrite' })).toEqual({
      app: { b: 2 },
      k: 1,
    });
  });

  it('keeps a __proto__ key as data and never touches the prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"x": 1}}}') as Record<
      string,
      unknown
    >;
    const out = mergePillar({}, hostile);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
  });
});
