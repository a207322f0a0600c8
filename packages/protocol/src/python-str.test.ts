import { describe, expect, it } from 'vitest';
import { pythonStr } from './python-str.js';

describe('pythonStr', () => {
  it('prints scalars as Python str() does', () => {
    expect([null, true, false, 8, -3, 7.9, 0.1, 1e-5, 1.5e-7, 0.0001].map(pythonStr)).toEqual([
      'None',
      'True',
      'False',
      '8',
      '-3',
      '7.9',
      '0.1',
      '1e-05',
      '1.5e-07',
      '0.0001',
    ]);
    expect([NaN, Infinity, -Infinity, 2 ** 70].map(pythonStr)).toEqual([
      'nan',
      'inf',
      '-inf',
      '1180591620717411303424',
    ]);
    expect(pythonStr('as is')).toBe('as is');
  });

  it('prints lists and maps with repr() of their members', () => {
    expect(pythonStr(['web', 1, null, true])).toBe("['web', 1, None, True]");
    expect(pythonStr({ name: 'eth0', mtu: 1500 })).toBe("{'name': 'eth0', 'mtu': 1500}");
    expect(pythonStr([['quiet', null]])).toBe("[['quiet', None]]");
  });

  it('quotes strings as repr() does', () => {
    expect(pythonStr(["it's", 'say "hi"', 'both \' "', 'a\\b', 'tab\there', 'nl\n', '\u0001', 'é'])).toBe(
      `["it's", 'say "hi"', 'both \\' "', 'a\\\\b', 'tab\\there', 'nl\\n', '\\x01', 'é']`,
    );
  });

  it('stops at a depth Python would not reach in practice', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(pythonStr(deep)).toContain('...');
  });
});
