import { describe, expect, it } from 'vitest';
import { FLEET, errorOf, select } from './target-fleet.fixture.js';
import { splitTargetList } from './target-matchers.js';
import { compileTarget } from './targeting.js';

describe('compileTarget for simple target types', () => {
  it('selects ids by glob by default', () => {
    expect(select('web*', 'glob')).toEqual(['web1', 'web2']);
    expect(select('*', 'glob')).toHaveLength(FLEET.length);
    expect(select('db?', 'glob')).toEqual(['db1']);
    expect(select('[!w]*', 'glob')).toEqual(['db1', 'db2.example.com', 'mail']);
    expect(select('web', 'glob')).toEqual([]);
  });

  it('selects ids from a comma-separated list or an array', () => {
    expect(select('web1,db1', 'list')).toEqual(['web1', 'db1']);
    expect(select('web1, db1 ,,mail', 'list')).toEqual(['web1', 'db1', 'mail']);
    expect(select(['web2', 'nope'], 'list')).toEqual(['web2']);
    expect(select('web*', 'list')).toEqual([]);
  });

  it("splits a -L string as Salt's CLI does: commas with spaces removed, else whitespace", () => {
    // salt/utils/parsers.py: `if "," in tgt: tgt.replace(" ", "").split(",") else tgt.split()`.
    expect(splitTargetList('web1,web2')).toEqual(['web1', 'web2']);
    expect(splitTargetList(' web1, web2 ,,mail')).toEqual(['web1', 'web2', 'mail']);
    expect(splitTargetList('web1 web2\tmail')).toEqual(['web1', 'web2', 'mail']);
    expect(splitTargetList('we b1,db1')).toEqual(['web1', 'db1']);
    expect(select('web1 db1', 'list')).toEqual(['web1', 'db1']);
    expect(select('we b1,db1', 'list')).toEqual(['web1', 'db1']);
  });

  it('selects ids by a regular expression anchored at the start, as re.match', () => {
    expect(select('web\\d', 'pcre')).toEqual(['web1', 'web2']);
    expect(select('eb', 'pcre')).toEqual([]);
    expect(select('.*example', 'pcre')).toEqual(['db2.example.com']);
    expect(select('db\\d$', 'pcre')).toEqual(['db1']);
  });

  it('selects by grain glob, case-insensitively, on scalars, lists and nested keys', () => {
    expect(select('os:Debian', 'grain')).toEqual(['web1', 'db1']);
    expect(select('os:deb*', 'grain')).toEqual(['web1', 'db1']);
    expect(select('roles:web', 'grain')).toEqual(['web1', 'web2']);
    expect(select('ip_interfaces:eth0:10.0.1.*', 'grain')).toEqual(['web1']);
    expect(select('ip_interfaces:eth0', 'grain')).toEqual(['web1']);
    expect(select('num_cpus:1?', 'grain')).toEqual(['db1']);
    expect(select('virtual:true', 'grain')).toEqual(['web1']);
    expect(select('ipv6:fe80::1', 'grain')).toEqual(['db2.example.com']);
    expect(select('nope:*', 'grain')).toEqual([]);
  });

  it('selects by grain regular expression', () => {
    expect(select('os:(Debian|CentOS)$', 'grain_pcre')).toEqual(['web1', 'db1', 'db2.example.com']);
    expect(select('os:ubu', 'grain_pcre')).toEqual(['web2']);
    expect(select('roles:^c', 'grain_pcre')).toEqual(['web1']);
  });

  it('selects by IPv4 address or CIDR block against grains.ipv4', () => {
    expect(select('10.0.1.0/24', 'ipcidr')).toEqual(['web1', 'web2']);
    expect(select('10.0.0.0/8', 'ipcidr')).toEqual(['web1', 'web2', 'db1']);
    expect(select('10.0.2.10', 'ipcidr')).toEqual(['db1']);
    expect(select('0.0.0.0/0', 'ipcidr')).toEqual(['web1', 'web2', 'db1']);
    expect(select('10.0.1.7/32', 'ipcidr')).toEqual([]);
  });

  it('selects by IPv6 address or network against grains.ipv6, as Python prints and reads them', () => {
    expect(select('fe80::1', 'ipcidr')).toEqual(['db2.example.com']);
    expect(select('FE80:0:0:0:0:0:0:1', 'ipcidr')).toEqual(['db2.example.com']);
    expect(select('fe80::/10', 'ipcidr')).toEqual(['db2.example.com']);
    expect(select('::/0', 'ipcidr')).toEqual(['db2.example.com']);
    expect(select('fe80::2', 'ipcidr')).toEqual([]);
  });

  it('rejects malformed addresses and blocks with their position', () => {
    for (const cidr of [
      '10.0.0',
      '10.0.0.256',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      'fe80::1%eth0',
      '1::2::3',
      '2001:db8::5/64',
      '',
    ]) {
      expect(errorOf(cidr, 'ipcidr').position).toBe(0);
    }
    expect(errorOf('S@10.0.0.0/33').position).toBe(2);
  });

  it('rejects an invalid regular expression at compile time', () => {
    expect(errorOf('web(', 'pcre')).toMatchObject({
      position: 0,
      message: expect.stringMatching(/^invalid regular expression at position 0/),
    });
    expect(errorOf('os:[', 'grain_pcre').position).toBe(3);
  });

  it('matches nothing with a grain target without the delimiter, as Salt, and rejects one without a name', () => {
    expect(select('os', 'grain')).toEqual([]);
    expect(select('os', 'grain_pcre')).toEqual([]);
    expect(errorOf(':Debian', 'grain').position).toBe(0);
  });
});

describe('compiled matchers', () => {
  const TARGET = '( web* or E@db\\d+ ) and not G@os:cent* or P@roles:^ca or S@10.0.2.0/24 or C@num_cpus>=16';

  /** Counts `new RegExp` and `RegExp()` calls while `run` runs. */
  function countRegExps(run: () => void): number {
    const original = globalThis.RegExp;
    let count = 0;
    globalThis.RegExp = new Proxy(original, {
      construct(target, args: [string, string?]) {
        count++;
        return Reflect.construct(target, args);
      },
      apply(target, self, args: [string, string?]) {
        count++;
        return Reflect.apply(target, self, args) as RegExp;
      },
    });
    try {
      run();
    } finally {
      globalThis.RegExp = original;
    }
    return count;
  }

  it('builds no RegExp while matching 10,000 minions', () => {
    const compiled = compileTarget(TARGET, 'compound');
    const match = compiled.ok ? compiled.match : undefined;
    const minions = Array.from({ length: 10_000 }, (_, i) => ({
      ...FLEET[i % FLEET.length]!,
      id: `${FLEET[i % FLEET.length]!.id}-${i}`,
    }));
    let selected = 0;
    const started = performance.now();
    const atMatch = countRegExps(() => {
      for (const minion of minions) if (match!(minion)) selected++;
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(atMatch).toBe(0);
    expect(select(TARGET)).toEqual(['web1', 'web2', 'db1']);
    expect(selected).toBe(6000);
  });
});
