import { describe, expect, it } from 'vitest';
import { GrainsInterner } from './grains-intern.js';

const grains = (id: string) => ({
  id,
  os: 'Debian',
  num_cpus: 2,
  ipv6: ['::1', 'fe80::1'],
  ip4_interfaces: { lo: ['127.0.0.1'] },
  virtual: null,
});

describe('GrainsInterner', () => {
  it('keeps every value, and shares lists and maps equal across minions', () => {
    const interner = new GrainsInterner();
    const a = interner.intern(grains('web1'));
    const b = interner.intern(grains('web2'));
    expect(a).toEqual(grains('web1'));
    expect(b).toEqual(grains('web2'));
    expect(a['ipv6']).toBe(b['ipv6']);
    expect(a['ip4_interfaces']).toBe(b['ip4_interfaces']);
    expect(Object.keys(a)).toEqual(Object.keys(grains('x')));
  });

  it('shared values are frozen: one minion cannot change another’s grains', () => {
    const interner = new GrainsInterner();
    const a = interner.intern(grains('web1'));
    expect(Object.isFrozen(a['ipv6'])).toBe(true);
    expect(() => (a['ipv6'] as string[]).push('x')).toThrow();
    expect(Object.isFrozen(a)).toBe(false);
  });

  it('the input is not aliased: changing it later changes nothing kept', () => {
    const interner = new GrainsInterner();
    const input = grains('web1');
    const kept = interner.intern(input);
    input.ipv6.push('2001:db8::1');
    input.ip4_interfaces.lo.push('10.0.0.1');
    expect(kept['ipv6']).toEqual(['::1', 'fe80::1']);
    expect(kept['ip4_interfaces']).toEqual({ lo: ['127.0.0.1'] });
  });

  it('a key named __proto__ stays an own key and sets no prototype', () => {
    const interner = new GrainsInterner();
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "os": "x"}') as Record<string, unknown>;
    const kept = interner.intern(hostile);
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
    expect(Object.hasOwn(kept, '__proto__')).toBe(true);
    expect((kept as { polluted?: boolean }).polluted).toBeUndefined();
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('values JSON cannot render faithfully are kept as they are, unshared', () => {
    const interner = new GrainsInterner();
    const odd = { bytes: new Uint8Array([1, 2]), nan: [Number.NaN], neg: [-0] };
    const kept = interner.intern(odd);
    expect(kept['bytes']).toBe(odd.bytes);
    expect(kept['nan']).toBe(odd.nan);
    expect(Object.is((kept['neg'] as number[])[0], -0)).toBe(true);
    // [null] and [NaN] have the same JSON; they must not be mistaken for each other.
    expect(interner.intern({ v: [null] })['v']).toEqual([null]);
  });

  it('the table is bounded', () => {
    const interner = new GrainsInterner(100);
    for (let i = 0; i < 1000; i++) interner.intern({ id: `m${i}`, machine_id: `x${i}` });
    expect(interner.size).toBeLessThanOrEqual(100);
    expect(interner.intern({ id: 'm5' })).toEqual({ id: 'm5' });
  });
});

describe('GrainsInterner layouts', () => {
  it('objects are plain, with the keys in order, and keys cannot inject code', () => {
    const interner = new GrainsInterner();
    const keys = ['a', "b'];globalThis.pwned=1;//", 'c"', '\u2028', 'constructor', 'toString'];
    const input = Object.fromEntries(keys.map((k, i) => [k, i]));
    const kept = interner.intern(input);
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
    expect(Object.keys(kept)).toEqual(keys);
    expect(kept).toEqual(input);
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
    expect(JSON.stringify(interner.intern(input))).toBe(JSON.stringify(input));
  });

  it('two dozen keys keep fast properties', () => {
    const interner = new GrainsInterner();
    // Pollute the transition tree of plain objects first, as a busy process does.
    for (let i = 0; i < 5000; i++) JSON.parse(`{"k${i}": 1}`);
    const keys = Array.from({ length: 30 }, (_, i) => `grain_${i}`);
    const a = interner.intern(Object.fromEntries(keys.map((k) => [k, k])));
    const b = interner.intern(Object.fromEntries(keys.map((k) => [k, k + 'x'])));
    expect(Object.keys(a)).toEqual(keys);
    expect(b['grain_29']).toBe('grain_29x');
  });
});
