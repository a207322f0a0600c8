import { describe, expect, it } from 'vitest';
import { parseArgs, splitWords } from './args.js';
import { capsOf, patternAllows } from './caps.js';
import { facetCounts } from './facets.js';
import { hrefOf, parseRoute } from './route.js';
import { parseStateReturn } from './state-return.js';

describe('the run box argument line', () => {
  it('splits words on spaces, keeps quoted spaces, and reads key=value as a keyword argument', () => {
    expect(splitWords(`'echo hi' "a b" c\\ d ''`)).toEqual(['echo hi', 'a b', 'c d', '']);
    expect(parseArgs(`'echo hi' cwd=/tmp 3 true [1,2] timeout=5 name="x y"`)).toEqual({
      args: ['echo hi', 3, true, [1, 2]],
      kwargs: { cwd: '/tmp', timeout: 5, name: 'x y' },
    });
  });

  it('keeps a word that only looks like JSON a string', () => {
    expect(parseArgs('1.2.3 {oops').args).toEqual(['1.2.3', '{oops']);
  });

  it('reads a kwarg named __proto__ as data, not as a prototype', () => {
    const { kwargs } = parseArgs('__proto__={"polluted":1}');
    expect(Object.keys(kwargs)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('caps from whoami', () => {
  it('opens every page to an admin', () => {
    const c = capsOf({ user: 'root', tokenId: null, admin: true, perms: [] });
    expect(c).toMatchObject({ run: true, jobs: true, keys: true, minions: true, events: true });
  });

  it('opens only what the grants name', () => {
    const pinger = capsOf({ user: 'p', tokenId: 'x', admin: false, perms: [{ 'web*': ['test.ping', 'cmd.*'] }] });
    expect(pinger).toMatchObject({ run: true, jobs: true, keys: false, minions: false, events: true });
    expect(pinger.functionPatterns).toEqual(['test.ping', 'cmd.*']);
    const keys = capsOf({ user: 'k', tokenId: 'x', admin: false, perms: ['@keys'] });
    expect(keys).toMatchObject({ run: false, jobs: false, keys: true, minions: false, events: true });
  });

  it('matches function patterns as globs or Salt regexes', () => {
    expect(patternAllows('test.*', 'test.ping')).toBe(true);
    expect(patternAllows('test\\..*', 'test.ping')).toBe(true);
    expect(patternAllows('test.ping', 'cmd.run')).toBe(false);
    expect(patternAllows('(', 'cmd.run')).toBe(false);
  });
});

describe('state returns', () => {
  const ret = {
    'file_|-motd_|-/etc/motd_|-managed': {
      result: true,
      comment: 'File /etc/motd updated',
      changes: { diff: '--- \n+++ \n-old\n+new' },
      __run_num__: 1,
      duration: 2.5,
    },
    'pkg_|-nginx_|-nginx_|-installed': { result: false, comment: ['No such package'], changes: {}, __run_num__: 0 },
  };

  it('parses Salt state keys in run order, with comments and changes', () => {
    const states = parseStateReturn(ret)!;
    expect(states.map((s) => `${s.module}.${s.fun} ${s.id} ${s.result}`)).toEqual([
      'pkg.installed nginx false',
      'file.managed motd true',
    ]);
    expect(states[0]!.comment).toBe('No such package');
    expect(states[1]!.changes).toEqual({ diff: '--- \n+++ \n-old\n+new' });
    expect(states[1]!.durationMs).toBe(2.5);
  });

  it('answers undefined for a return that is not a state return', () => {
    expect(parseStateReturn(true)).toBeUndefined();
    expect(parseStateReturn({ a: 1 })).toBeUndefined();
    expect(parseStateReturn({ 'a_|-b_|-c_|-d': 'x' })).toBeUndefined();
    expect(parseStateReturn({})).toBeUndefined();
  });
});

describe('facets and routes', () => {
  it('counts grain values, list grains once per value, most common first', () => {
    const counts = facetCounts(
      [{ grains: { os: 'Debian', roles: ['web', 'db'] } }, { grains: { os: 'Debian' } }, { grains: { os: 'Alpine' } }],
      ['os', 'roles', 'none'],
    );
    expect(counts.get('os')).toEqual([
      ['Debian', 2],
      ['Alpine', 1],
    ]);
    expect(counts.get('roles')).toEqual([
      ['db', 1],
      ['web', 1],
    ]);
    expect(counts.has('none')).toBe(false);
  });

  it('round-trips routes through the hash, and sends an unknown one to the fleet', () => {
    for (const r of [
      { page: 'minion', id: 'a b/c' },
      { page: 'job', jid: '20261207021000123456' },
      { page: 'run', target: 'web*', targetType: 'glob', fun: 'test.ping' },
      { page: 'events' },
    ] as const)
      expect(parseRoute(hrefOf(r))).toEqual(r);
    expect(parseRoute('#/nowhere')).toEqual({ page: 'fleet' });
    expect(parseRoute('#/job/123')).toEqual({ page: 'jobs' });
  });
});
