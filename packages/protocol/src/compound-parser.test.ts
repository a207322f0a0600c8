import { describe, expect, it } from 'vitest';
import { MAX_TARGET_DEPTH } from './compound-parser.js';
import { errorOf, select } from './target-fleet.fixture.js';
import { compileTarget } from './targeting.js';

describe('compound targets', () => {
  it('reads an untagged word as a glob on the id', () => {
    expect(select('web*')).toEqual(['web1', 'web2']);
    expect(select('mail')).toEqual(['mail']);
  });

  it('supports every prefix', () => {
    expect(select('G@os:Debian')).toEqual(['web1', 'db1']);
    expect(select('P@os:(ubuntu|centos)')).toEqual(['web2', 'db2.example.com']);
    expect(select('E@db\\d+')).toEqual(['db1', 'db2.example.com']);
    expect(select('L@web2,mail')).toEqual(['web2', 'mail']);
    expect(select('S@10.0.1.0/24')).toEqual(['web1', 'web2']);
    expect(select('N@dbs', 'compound', { nodegroups: { dbs: 'db*' } })).toEqual(['db1', 'db2.example.com']);
  });

  it('binds and tighter than or, as Salt (a Python boolean expression)', () => {
    expect(select('web* and G@os:Debian or E@db\\d+')).toEqual(['web1', 'db1', 'db2.example.com']);
    expect(select('E@db\\d+ or web* and G@os:Debian')).toEqual(['web1', 'db1', 'db2.example.com']);
    expect(select('mail or web* and G@os:Ubuntu or db1')).toEqual(['web2', 'db1', 'mail']);
  });

  it('binds not tighter than and', () => {
    expect(select('not web* and G@os:Debian')).toEqual(['db1']);
    expect(select('G@os:Debian and not web*')).toEqual(['db1']);
    expect(select('not ( web* and G@os:Debian )')).toEqual(['web2', 'db1', 'db2.example.com', 'mail']);
  });

  it('groups with parentheses, with or without spaces around them', () => {
    expect(select('( db* or web* ) and G@os:Debian')).toEqual(['web1', 'db1']);
    expect(select('(db* or web*) and G@os:Debian')).toEqual(['web1', 'db1']);
    expect(select('((db1)) or (not (web* or db*))')).toEqual(['db1', 'mail']);
  });

  it('keeps parentheses that belong to a regex or a grain value', () => {
    expect(select('E@web(1|2)')).toEqual(['web1', 'web2']);
    expect(select('(E@web(1|2)) and G@os:Debian')).toEqual(['web1']);
    expect(select('(G@cpu_model:Intel(R)*)')).toEqual(['web1']);
    expect(select('(E@web\\(1 or web1)')).toEqual(['web1']);
  });

  it('accepts a leading not, and refuses not not, which Salt evaluates as not and not', () => {
    expect(select('not web*')).toEqual(['db1', 'db2.example.com', 'mail']);
    expect(errorOf('not not web*')).toMatchObject({ position: 4, message: expect.stringContaining("'not not'") });
    expect(errorOf('web1 or not not web*').position).toBe(12);
  });

  it('reads a prefix Salt does not know as a glob on the id, as Salt does', () => {
    expect(select('X@foo')).toEqual([]);
    expect(select('not X@foo')).toHaveLength(5);
    expect(select('g@os:Debian')).toEqual([]);
  });

  it('matches nothing with a grain word that has no value, as Salt', () => {
    expect(select('G@os')).toEqual([]);
    expect(select('not G@os')).toHaveLength(5);
  });

  it('reads a not right after a target as and not, as Salt does', () => {
    expect(select('web* not G@os:Debian')).toEqual(['web2']);
  });

  it('joins an array of words with spaces', () => {
    expect(select(['web*', 'and', 'G@os:Debian'])).toEqual(['web1']);
  });
});

describe('comparisons on grains', () => {
  it('compares numbers numerically', () => {
    expect(select('C@num_cpus>=8')).toEqual(['web1', 'db1']);
    expect(select('C@num_cpus>8')).toEqual(['db1']);
    expect(select('C@num_cpus<=4')).toEqual(['web2', 'db2.example.com']);
    expect(select('C@num_cpus<4')).toEqual(['web2']);
    expect(select('C@num_cpus==16')).toEqual(['db1']);
    expect(select('C@mem_total<8192')).toEqual(['web2']);
    expect(select('C@mem_total>=1e4')).toEqual(['web1', 'db1']);
  });

  it('compares numeric strings as numbers', () => {
    expect(select('C@num_cpus==4.0')).toEqual(['db2.example.com']);
    expect(select('C@osrelease>7.10')).toEqual(['db2.example.com']);
  });

  it('compares other values as exact strings with == and !=', () => {
    expect(select('C@os==Debian')).toEqual(['web1', 'db1']);
    expect(select('C@os==debian')).toEqual([]);
    expect(select('C@os!=Debian')).toEqual(['web2', 'db2.example.com']);
    expect(select('C@virtual==true')).toEqual(['web1']);
  });

  it('never orders strings', () => {
    expect(select('C@os>A')).toEqual([]);
    expect(select('C@os<=zzz')).toEqual([]);
  });

  it('matches a list if any element compares, and != only if none is equal', () => {
    expect(select('C@roles==cache')).toEqual(['web1']);
    expect(select('C@roles!=web')).toEqual(['db1']);
  });

  it('matches no comparison on a missing grain, != included', () => {
    expect(select('C@nope!=1 or C@nope<1 or C@nope==1')).toEqual([]);
    expect(select('not C@num_cpus>0')).toEqual(['mail']);
  });

  it('follows nested keys and combines with the rest of the grammar', () => {
    expect(select('C@num_cpus>=4 and not G@os:CentOS or L@mail')).toEqual(['web1', 'db1', 'mail']);
  });

  it('leaves G@ to Salt: a value holding < > = is a glob there, as in Salt', () => {
    const motd = { id: 'm', grains: { motd: 'a<b', num_cpus: 4 } };
    const compiled = compileTarget('G@motd:a<b', 'compound');
    expect(compiled.ok && compiled.match(motd)).toBe(true);
    expect(errorOf('num_cpus>=16', 'grain').message).toContain('grain comparisons are written C@num_cpus>=16');
    expect(errorOf('G@num_cpus>=16').message).toContain('C@num_cpus>=16');
  });
});

describe('compound syntax errors', () => {
  it.each([
    ['( web* or db*', 13, "expected ')' at position 13"],
    ['(web* or db* and', 16, 'expected a target at position 16'],
    ['(web* db*)', 6, "expected ')' at position 6, found 'db*'"],
    ['web* and', 8, 'expected a target at position 8'],
    ['and web*', 0, "expected a target at position 0, found 'and'"],
    ['web* or or db*', 8, "expected a target at position 8, found 'or'"],
    ['web* db*', 5, "expected 'and' or 'or' at position 5, found 'db*'"],
    ['web* )', 5, "unexpected ')' at position 5"],
    ['()', 1, "expected a target at position 1, found ')'"],
    ['', 0, 'expected a target at position 0'],
    ['not', 3, 'expected a target at position 3'],
    ['G@os:Debian and I@', 18, "expected a pattern after 'I@' at position 18"],
    ['J@role:(', 7, 'invalid regular expression at position 7'],
    ['R@%cluster', 0, 'range targets (R@) are not supported at position 0'],
    ['G@', 2, "expected a pattern after 'G@' at position 2"],
    ['web* and E@web(', 11, 'invalid regular expression at position 11'],
    ['P@os:a:(', 5, 'invalid regular expression at position 5'],
    ['C@num_cpus>=', 12, "expected a value after '>=' at position 12"],
    ['C@>=4', 2, "expected a grain name before '>=' at position 2"],
    ['C@num_cpus', 10, 'expected a comparison operator'],
    ['S@10.0.0', 2, "expected an IPv4 address or network at position 2, found '10.0.0'"],
    ['S@10.0.1.11/24', 2, 'expected an IPv4 address or network at position 2'],
    ['N@', 2, 'expected a nodegroup name at position 2'],
  ])('rejects %j at position %i', (tgt, position, message) => {
    const error = errorOf(tgt);
    expect(error.position).toBe(position);
    expect(error.message.startsWith(message)).toBe(true);
  });

  it('rejects nesting deeper than the limit instead of overflowing the stack', () => {
    const deep = '('.repeat(MAX_TARGET_DEPTH + 1) + 'web1' + ')'.repeat(MAX_TARGET_DEPTH + 1);
    expect(errorOf(deep).position).toBe(MAX_TARGET_DEPTH);
    const ok = '('.repeat(MAX_TARGET_DEPTH) + 'web1' + ')'.repeat(MAX_TARGET_DEPTH);
    expect(select(ok)).toEqual(['web1']);
    expect(errorOf(`${'not '.repeat(100_001)}web1`).position).toBe(4);
  });

  it('matches a long chain of or without deep recursion', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `host${i}`);
    expect(select([...ids, 'db1'].join(' or '))).toEqual(['db1']);
  });
});
