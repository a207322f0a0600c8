import { describe, expect, it } from 'vitest';
import { MAX_TARGET_DEPTH, MAX_TARGET_TERMS } from './compound-parser.js';
import type { TargetTypeValue } from './frames.js';
import { errorOf, select } from './target-fleet.fixture.js';
import { expandNodegroups } from './targeting.js';
import type { NodegroupDefinition } from './target-types.js';

const nodegroups: Record<string, NodegroupDefinition> = {
  webs: 'web*',
  debian: 'G@os:Debian',
  debianWebs: 'N@webs and N@debian',
  webOrDb: '( web* or db* )',
  anyWebOrDb: 'web* or db*',
  admins: ['mail', 'db1'],
  nested: 'N@debianWebs or N@admins',
};
const options = { nodegroups };

describe('nodegroups', () => {
  it('selects a nodegroup by name with -N', () => {
    expect(select('webs', 'nodegroup', options)).toEqual(['web1', 'web2']);
    expect(select(' webs ', 'nodegroup', options)).toEqual(['web1', 'web2']);
    expect(select('admins', 'nodegroup', options)).toEqual(['db1', 'mail']);
  });

  it('splices a top-level nodegroup without nested groups in without parentheses, as Salt', () => {
    // salt/utils/minions.py nodegroup_comp: "If a top-level (non-recursive) call finds no
    // nodegroups, return the original nodegroup definition", so `web* or db* and G@os:Debian`.
    expect(select('N@anyWebOrDb and G@os:Debian', 'compound', options)).toEqual(['web1', 'web2', 'db1']);
    expect(select('N@webOrDb and G@os:Debian', 'compound', options)).toEqual(['web1', 'db1']);
    expect(select('not N@admins and not N@webs', 'compound', options)).toEqual(['db2.example.com']);
  });

  it('wraps a nodegroup in parentheses when it expands nested nodegroups', () => {
    const groups = { ...nodegroups, outer: 'N@anyWebOrDb', inner: 'web1 or db1' };
    expect(select('N@outer and G@os:Debian', 'compound', { nodegroups: groups })).toEqual(['web1', 'db1']);
  });

  it('rewrites a group without operators as a list of ids or a regex, as Salt', () => {
    const groups = { ids: 'web1 db1', regex: 'web(1|2)', two: ['web[12]', 'db\\d'], glob: 'web* mail' };
    expect(select('ids', 'nodegroup', { nodegroups: groups })).toEqual(['web1', 'db1']);
    expect(select('regex', 'nodegroup', { nodegroups: groups })).toEqual(['web1', 'web2']);
    // E@web[12],db\d: the words joined with a comma, which the regex then has to match.
    expect(select('two', 'nodegroup', { nodegroups: groups })).toEqual([]);
    expect(errorOf('glob', 'nodegroup', { nodegroups: groups }).message).toContain("expected 'and' or 'or'");
  });

  it('expands nodegroups that reference nodegroups', () => {
    expect(select('debianWebs', 'nodegroup', options)).toEqual(['web1']);
    expect(select('nested', 'nodegroup', options)).toEqual(['web1', 'db1', 'mail']);
  });

  it('rejects a cycle with the path and the position of the reference', () => {
    const cyclic = { nodegroups: { a: 'web* or N@b', b: 'G@os:Debian and N@a', self: 'N@self' } };
    const error = errorOf('mail or N@a', 'compound', cyclic);
    expect(error.position).toBe(10);
    expect(error.message).toContain('nodegroup cycle a -> b -> a');
    expect(errorOf('self', 'nodegroup', cyclic).message).toContain('nodegroup cycle self -> self');
  });

  it('rejects an unknown nodegroup, prototype names included', () => {
    for (const name of ['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(errorOf(`web1 or N@${name}`, 'compound', options)).toMatchObject({
        position: 10,
        message: `unknown nodegroup '${name}' at position 10`,
      });
      expect(errorOf(name, 'nodegroup', options).position).toBe(0);
    }
    expect(errorOf('N@webs')).toMatchObject({ message: "unknown nodegroup 'webs' at position 2" });
  });

  it('reports an error inside a definition at the reference, naming the nodegroup', () => {
    const broken = { nodegroups: { broken: 'web* and and db*', regex: 'E@web(', outer: 'mail or N@broken' } };
    expect(errorOf('web1 or N@broken', 'compound', broken)).toMatchObject({
      position: 10,
      message: "expected a target at position 10, found 'and' (from nodegroup 'broken')",
    });
    expect(errorOf('outer', 'nodegroup', broken).message).toBe(
      "expected a target at position 0, found 'and' (from nodegroup 'outer')",
    );
    expect(errorOf('web1 or N@regex', 'compound', broken).message).toMatch(
      /^nodegroup 'regex' at position 10: in 'E@web\(': invalid regular expression at position 2/,
    );
  });

  it('lets a group opened in a nodegroup close outside it, as Salt splices words', () => {
    const open = { nodegroups: { open: '( web1 or' } };
    expect(select('N@open db1 )', 'compound', open)).toEqual(['web1', 'db1']);
  });

  it('reads a list nodegroup as its words, as Salt', () => {
    const groups = {
      words: ['G@os:Debian', 'or', 'G@os:Ubuntu'],
      glob: ['web*'],
      numbers: [42] as unknown as string[],
    };
    expect(select('words', 'nodegroup', { nodegroups: groups })).toEqual(['web1', 'web2', 'db1']);
    expect(select('glob', 'nodegroup', { nodegroups: groups })).toEqual(['web1', 'web2']);
    expect(select('numbers', 'nodegroup', { nodegroups: groups })).toEqual([]);
    expect(errorOf('empty', 'nodegroup', { nodegroups: { empty: [] } }).position).toBe(0);
    expect(errorOf('bad', 'nodegroup', { nodegroups: { bad: 42 as unknown as string } }).message).toContain(
      'neither an expression nor a list',
    );
  });

  it('parses a nodegroup referenced many times once, and bounds what it expands to', () => {
    const diamonds: Record<string, string> = { g0: 'web1 or web2' };
    for (let i = 1; i <= 30; i++) diamonds[`g${i}`] = `N@g${i - 1} or N@g${i - 1}`;
    expect(select('g5', 'nodegroup', { nodegroups: diamonds })).toEqual(['web1', 'web2']);
    expect(errorOf('g30', 'nodegroup', { nodegroups: diamonds }).message).toContain(
      `more than ${MAX_TARGET_TERMS} terms`,
    );
  });

  it('rejects nodegroups nested deeper than the limit', () => {
    const chain: Record<string, string> = { n0: 'web1' };
    for (let i = 1; i <= MAX_TARGET_DEPTH + 1; i++) chain[`n${i}`] = `N@n${i - 1}`;
    expect(select(`n${MAX_TARGET_DEPTH - 1}`, 'nodegroup', { nodegroups: chain })).toEqual(['web1']);
    expect(errorOf(`n${MAX_TARGET_DEPTH + 1}`, 'nodegroup', { nodegroups: chain }).message).toContain('nested deeper');
  });
});

describe('expandNodegroups', () => {
  function expand(tgt: string | string[], tgtType: TargetTypeValue) {
    const result = expandNodegroups(tgt, tgtType, options);
    if (!result.ok) throw new Error(result.error.message);
    return result;
  }

  it('inlines nodegroups so a minion without them selects the same minions', () => {
    for (const [tgt, tgtType] of [
      ['nested', 'nodegroup'],
      ['admins', 'nodegroup'],
      ['N@anyWebOrDb and G@os:Debian', 'compound'],
      ['not N@anyWebOrDb or not N@debianWebs', 'compound'],
      ['N@webOrDb and not N@admins', 'compound'],
    ] as const) {
      const expanded = expand(tgt, tgtType);
      expect(expanded.tgtType).toBe('compound');
      expect(expanded.tgt).not.toContain('N@');
      expect(select(expanded.tgt)).toEqual(select(tgt, tgtType, options));
    }
  });

  it('keeps the precedence Salt gives the spliced words', () => {
    expect(expand('N@anyWebOrDb and G@os:Debian', 'compound').tgt).toBe('web* or db* and G@os:Debian');
    expect(expand('N@webOrDb and G@os:Debian', 'compound').tgt).toBe('( web* or db* ) and G@os:Debian');
    expect(expand('not N@debianWebs', 'compound').tgt).toBe('not ( web* and G@os:Debian )');
    expect(expand('admins', 'nodegroup').tgt).toBe('L@mail,db1');
  });

  it('returns other targets unchanged', () => {
    expect(expand('web*  and   G@os:Debian', 'compound')).toEqual({
      ok: true,
      tgt: 'web*  and   G@os:Debian',
      tgtType: 'compound',
    });
    expect(expand(['web1', 'web2'], 'list')).toEqual({ ok: true, tgt: ['web1', 'web2'], tgtType: 'list' });
    expect(expand('os:Debian', 'grain')).toEqual({ ok: true, tgt: 'os:Debian', tgtType: 'grain' });
  });

  it('returns the syntax error of a target that does not parse', () => {
    const result = expandNodegroups('N@nope or', 'compound', options);
    expect(result.ok ? undefined : result.error.position).toBe(2);
  });
});
