import { describe, expect, it } from 'vitest';
import { dictUpdate, traverse } from './data.js';
import { filterBy } from './filter-by.js';
import { fnmatch } from './fnmatch.js';
import { createTemplateFunctions } from './template-functions.js';

const lookup = {
  Debian: { pkg: 'apache2', conf: { dir: '/etc/apache2' } },
  'Red*': { pkg: 'httpd' },
  default: { pkg: 'apache' },
  base: { port: 80, conf: { dir: '/etc/httpd', mods: true } },
};

describe('filterBy (salt.utils.data.filter_by)', () => {
  it.each([
    ['an exact key', 'Debian', {}, { pkg: 'apache2', conf: { dir: '/etc/apache2' } }],
    ['a glob key', 'RedHat', {}, { pkg: 'httpd' }],
    ['the default key when nothing matches', 'Arch', {}, { pkg: 'apache' }],
    ['a named default', 'Arch', { default: 'Debian' }, { pkg: 'apache2', conf: { dir: '/etc/apache2' } }],
    // The match is merged over base, recursively.
    [
      'the match merged over base',
      'Debian',
      { base: 'base' },
      { port: 80, pkg: 'apache2', conf: { dir: '/etc/apache2', mods: true } },
    ],
    ['merge merged over the match', 'RedHat', { merge: { pkg: 'custom', extra: 1 } }, { pkg: 'custom', extra: 1 }],
    [
      'the first matching item of a list grain',
      ['Arch', 'Debian'],
      {},
      { pkg: 'apache2', conf: { dir: '/etc/apache2' } },
    ],
  ])('picks %s', (_name, value, options, expected) => {
    expect(filterBy(lookup, value, options)).toStrictEqual(expected);
  });

  it('answers null without a match or default, and merge alone when given', () => {
    expect(filterBy({ Debian: 1 }, 'Arch')).toBeNull();
    expect(filterBy({ Debian: 1 }, 'Arch', { merge: { a: 1 } })).toStrictEqual({ a: 1 });
  });

  it('refuses a merge that is not a mapping, as Salt', () => {
    expect(() => filterBy(lookup, 'Debian', { merge: [1] })).toThrow('merge argument must be a dictionary');
  });
});

describe('template functions', () => {
  const fns = createTemplateFunctions({
    grains: { os_family: 'RedHat', ipv4: ['10.0.0.1', '127.0.0.1'] },
    pillar: { app: { db: { host: 'db1' } }, users: [{ ann: { uid: 1 } }] },
  });

  it('gets nested pillar and grain keys with a default, as pillar.get and grains.get', () => {
    expect(fns['pillar.get']!(['app:db:host'], {})).toBe('db1');
    expect(fns['pillar.get']!(['app:db:port', 5432], {})).toBe(5432);
    expect(fns['pillar.get']!(['missing'], {})).toBe('');
    expect(fns['pillar.get']!(['users:ann:uid'], {})).toBe(1);
    expect(fns['grains.get']!(['ipv4:1'], {})).toBe('127.0.0.1');
    expect(fns['pillar.get']!(['app'], { default: { db: { port: 1 } }, merge: true })).toStrictEqual({
      db: { port: 1, host: 'db1' },
    });
  });

  it('calls filter_by with the grain given by keyword', () => {
    expect(fns['grains.filter_by']!([{ RedHat: 'yum', Debian: 'apt' }], {})).toBe('yum');
    expect(fns['grains.filter_by']!([{ '10.*': 'lan' }], { grain: 'ipv4' })).toBe('lan');
  });
});

describe('data helpers', () => {
  it('merges mappings recursively and replaces everything else', () => {
    expect(dictUpdate({ a: { b: 1, c: [1] } }, { a: { c: [2], d: 3 } })).toStrictEqual({ a: { b: 1, c: [2], d: 3 } });
    expect(dictUpdate({ a: [1] }, { a: [1, 2] }, true)).toStrictEqual({ a: [1, 2] });
  });

  it('traverses lists by index and by embedded mapping', () => {
    expect(traverse({ a: [{ b: 1 }, { c: 2 }] }, 'a:c', 'x')).toBe(2);
    expect(traverse({ a: ['x', 'y'] }, 'a:1', null)).toBe('y');
    expect(traverse({ a: 1 }, 'a:b', 'none')).toBe('none');
  });

  it('matches shell globs as fnmatchcase', () => {
    expect(fnmatch('web01', 'web*')).toBe(true);
    expect(fnmatch('web01', 'web0[!1]')).toBe(false);
    expect(fnmatch('a.b', 'a?b')).toBe(true);
    expect(fnmatch('Web', 'web')).toBe(false);
  });
});
