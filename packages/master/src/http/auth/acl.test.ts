import { describe, expect, it } from 'vitest';
import { aclSchema } from '../../config-auth.js';
import { Acl, Area } from './acl.js';
import { ACL_MAX_MATCHED_CHARS } from './acl-args.js';
import { isAclRegex } from './acl-pattern.js';
import { HttpErrorCode } from '../shared/errors.js';

const web1 = { id: 'web1', grains: { os: 'Debian' } };
const web2 = { id: 'web2', grains: { os: 'RedHat' } };
const db1 = { id: 'db1', grains: { os: 'Debian' } };
const call = (fun: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) => ({ fun, args, kwargs });

function acl(config: unknown) {
  return new Acl(aclSchema.parse(config), { nodegroups: { webs: 'web*' } });
}

describe('Acl (Salt external_auth shape)', () => {
  it('denies everything to a user with no entry (default deny)', () => {
    const g = acl({ alice: ['test.*'] }).grantsFor('bob', []);
    expect(g.runsFunctions).toBe(false);
    expect(g.denied(call('test.ping'), [web1])).toEqual(['web1']);
    for (const area of Object.values(Area)) expect(g.can(area)).toBe(false);
  });

  it('allows a bare function glob on every minion', () => {
    const g = acl({ alice: ['test.*'] }).grantsFor('alice', []);
    expect(g.denied(call('test.ping'), [web1, db1])).toEqual([]);
    expect(g.allowsEverywhere(call('test.ping'))).toBe(true);
    expect(g.denied(call('cmd.run', ['id']), [web1])).toEqual(['web1']);
  });

  it('limits a target grant to the minions its compound expression selects', () => {
    const g = acl({ alice: [{ 'web*': ['cmd.run'] }, { 'G@os:Debian': ['pkg.*'] }] }).grantsFor('alice', []);
    expect(g.denied(call('cmd.run', ['id']), [web1, web2, db1])).toEqual(['db1']);
    expect(g.denied(call('pkg.install', ['vim']), [web1, web2, db1])).toEqual(['web2']);
    expect(g.allowsEverywhere(call('cmd.run', ['id']))).toBe(false);
  });

  it('resolves nodegroups in ACL targets', () => {
    const g = acl({ alice: [{ 'N@webs': ['test.ping'] }] }).grantsFor('alice', []);
    expect(g.denied(call('test.ping'), [web1, db1])).toEqual(['db1']);
  });

  it('applies group% entries to members and * only to users no named entry matched', () => {
    const a = acl({ 'ops%': ['pkg.*'], '*': ['test.ping'], 'carol*': ['cmd.run'] });
    expect(a.grantsFor('dave', ['ops']).denied(call('pkg.install'), [web1])).toEqual([]);
    expect(a.grantsFor('dave', ['ops']).denied(call('test.ping'), [web1])).toEqual([]);
    expect(a.grantsFor('carol2', []).denied(call('test.ping'), [web1])).toEqual(['web1']);
    expect(a.grantsFor('carol2', []).denied(call('cmd.run'), [web1])).toEqual([]);
  });

  it('checks positional and keyword argument patterns, refusing extra arguments', () => {
    const g = acl({
      alice: [
        { '*': [{ 'cmd.run': { args: ['ls *'], kwargs: { cwd: '/tmp*' } } }, { 'test.echo': [{ args: [null] }] }] },
      ],
    }).grantsFor('alice', []);
    expect(g.denied(call('cmd.run', ['ls -l'], { cwd: '/tmp/x' }), [web1])).toEqual([]);
    expect(g.denied(call('cmd.run', ['rm -rf /'], { cwd: '/tmp' }), [web1])).toEqual(['web1']);
    expect(g.denied(call('cmd.run', ['ls'], { cwd: '/tmp' }), [web1])).toEqual(['web1']);
    expect(g.denied(call('cmd.run', ['ls -l']), [web1])).toEqual(['web1']);
    expect(g.denied(call('cmd.run', ['ls -l'], { cwd: '/tmp', runas: 'root' }), [web1])).toEqual(['web1']);
    expect(g.denied(call('cmd.run', ['ls -l', 'extra'], { cwd: '/tmp' }), [web1])).toEqual(['web1']);
    expect(g.denied(call('test.echo', [{ any: 'thing' }]), [web1])).toEqual([]);
    expect(g.denied(call('test.echo', []), [web1])).toEqual(['web1']);
  });

  it('grants areas by name and by Salt alias', () => {
    const a = acl({ ops: ['@jobs', '@keys'], old: ['@runner', '@wheel'], ev: ['@events'] });
    expect(a.grantsFor('ops', []).can(Area.jobs)).toBe(true);
    expect(a.grantsFor('ops', []).can(Area.events)).toBe(false);
    expect(a.grantsFor('old', []).can(Area.minions)).toBe(true);
    expect(a.grantsFor('old', []).can(Area.keys)).toBe(true);
    expect(a.grantsFor('ev', []).runsFunctions).toBe(false);
  });

  it("honours Salt's {'@runner': [glob]} and {'@jobs': [fun]} forms for salt-api runners", () => {
    const a = acl({ r: [{ '@runner': ['manage.*'] }], j: [{ '@jobs': ['lookup_jid'] }] });
    expect(a.grantsFor('r', []).special('runner', 'manage.up')).toBe(true);
    expect(a.grantsFor('r', []).special('runner', 'jobs.list_jobs')).toBe(false);
    expect(a.grantsFor('j', []).special('runner', 'jobs.lookup_jid')).toBe(true);
    expect(a.grantsFor('j', []).can(Area.jobs)).toBe(false);
  });

  it('refuses an unknown area or a target that does not parse, with ERR_MASTER_AUTH_CONFIG', () => {
    expect(() => acl({ a: ['@everything'] })).toThrow(expect.objectContaining({ code: HttpErrorCode.authConfig }));
    expect(() => acl({ a: [{ 'G@os:Debian and (': ['test.*'] }] })).toThrow(
      expect.objectContaining({ code: HttpErrorCode.authConfig, message: expect.stringContaining('acl.a[0]') }),
    );
  });

  it('lists the entries that apply as perms, as salt-api login does', () => {
    const a = acl({ alice: ['test.*'], 'ops%': ['@jobs'] });
    expect(a.grantsFor('alice', ['ops']).perms).toEqual(['test.*', '@jobs']);
  });
});

/** Shell syntax a wildcard could match, one class per line (issue #13 finding 1). */
const INJECTIONS = [
  'systemctl restart nginx; touch /x',
  'systemctl restart nginx && touch /x',
  'systemctl restart nginx || touch /x',
  'systemctl restart nginx & touch /x',
  'systemctl restart nginx | tee /x',
  'systemctl restart nginx > /x',
  'systemctl restart nginx < /etc/shadow',
  'systemctl restart $(touch /x)',
  'systemctl restart `touch /x`',
  'systemctl restart ${IFS}x',
  'systemctl restart nginx\ntouch /x',
  'systemctl restart nginx\rtouch /x',
  'systemctl restart nginx\ttouch',
  "systemctl restart 'nginx'",
  'systemctl restart "nginx"',
  'systemctl restart ngi\\nx',
  'systemctl restart *',
  'systemctl restart ngin?',
  'systemctl restart [n]ginx',
  'systemctl restart ~root',
  'systemctl restart nginx #',
  'systemctl restart !',
  'systemctl restart {a,b}',
  'systemctl restart (x)',
  'systemctl restart nginx\u00a0x',
];

describe('argument patterns of shell functions (issue #13 finding 1)', () => {
  const g = acl({
    alice: [
      { '*': [{ 'cmd.*': { args: ['systemctl restart *'] } }, { 'test.echo': { args: ['systemctl restart *'] } }] },
    ],
  }).grantsFor('alice', []);

  it('refuses every class of shell syntax that a wildcard matched', () => {
    for (const cmd of INJECTIONS) {
      expect(g.denied(call('cmd.run', [cmd]), [web1]), cmd).toEqual(['web1']);
      expect(g.mayCall(call('cmd.run_all', [cmd])), cmd).toBe(false);
    }
  });

  it('allows plain words that the pattern matches', () => {
    for (const cmd of ['systemctl restart nginx', 'systemctl restart nginx.service', 'systemctl restart getty@tty1'])
      expect(g.denied(call('cmd.run', [cmd]), [web1]), cmd).toEqual([]);
  });

  it('leaves functions that run no shell to the pattern alone', () => {
    expect(g.denied(call('test.echo', ['systemctl restart x; y']), [web1])).toEqual([]);
    expect(g.denied(call('cmd.exec', ['systemctl restart x; y']), [web1])).toEqual([]);
  });

  it('allows the exact text of a pattern without wildcards, shell syntax included', () => {
    const exact = acl({ a: [{ '*': [{ 'cmd.run': { args: ['systemctl restart nginx && echo ok'] } }] }] }).grantsFor(
      'a',
      [],
    );
    expect(exact.denied(call('cmd.run', ['systemctl restart nginx && echo ok']), [web1])).toEqual([]);
    expect(exact.denied(call('cmd.run', ['systemctl restart nginx && echo ok; id']), [web1])).toEqual(['web1']);
  });

  it('reads a Salt regex argument pattern under the same rules', () => {
    const salt = acl({ a: [{ '*': [{ 'cmd.run': { args: ['systemctl restart [a-z0-9@._-]+'] } }] }] }).grantsFor(
      'a',
      [],
    );
    expect(salt.denied(call('cmd.run', ['systemctl restart nginx']), [web1])).toEqual([]);
    expect(salt.denied(call('cmd.run', ['systemctl restart nginx -H x']), [web1])).toEqual(['web1']);
    const wide = acl({ a: [{ '*': [{ 'cmd.run': { args: ['systemctl restart .*'] } }] }] }).grantsFor('a', []);
    for (const cmd of INJECTIONS) expect(wide.mayCall(call('cmd.run', [cmd])), cmd).toBe(false);
  });

  it('refuses a value longer than ACL_MAX_MATCHED_CHARS', () => {
    const long = `systemctl restart ${'a'.repeat(ACL_MAX_MATCHED_CHARS)}`;
    expect(g.mayCall(call('cmd.run', [long]))).toBe(false);
    expect(g.mayCall(call('test.echo', [long]))).toBe(false);
  });
});

describe('path argument patterns', () => {
  const g = acl({
    a: [
      {
        '*': [
          { 'cmd.run': { args: ['ls'], kwargs: { cwd: '/srv/*' } } },
          { 'cp.get_file': { args: ['brine://pub/*'] } },
        ],
      },
    ],
  }).grantsFor('a', []);
  const cwd = (dir: unknown) => g.mayCall(call('cmd.run', ['ls'], { cwd: dir }));

  it('matches a path after dropping . segments and doubled slashes', () => {
    expect(cwd('/srv/app')).toBe(true);
    expect(cwd('/srv/./app')).toBe(true);
    expect(cwd('//srv//app')).toBe(true);
  });

  it('refuses .. segments, control characters and non-strings', () => {
    for (const dir of [
      '/srv/../root',
      '/srv/app/../../root',
      '/srv/..',
      '/srv/app/..',
      '/srv/a\u0000b',
      '/srv/a\nb',
      1,
      ['/srv/a'],
    ])
      expect(cwd(dir), JSON.stringify(dir)).toBe(false);
  });

  it('treats brine:// URLs as paths too', () => {
    expect(g.mayCall(call('cp.get_file', ['brine://pub/a.txt']))).toBe(true);
    expect(g.mayCall(call('cp.get_file', ['brine://pub/../secret/key']))).toBe(false);
  });
});

describe("Salt's external_auth patterns (issue #14 item 11)", () => {
  it('reads a pattern as a regex only where it uses regex syntax', () => {
    for (const p of ['.*', 'test\\..*', 'test.*', 'pkg.*', '[a-z].*', 'a+', '(a|b)', 'x{2}', '^a$'])
      expect(isAclRegex(p), p).toBe(true);
    for (const p of ['*', 'test.ping', 'web*', '/srv/*', '*.log', 'ls *.*', '/var/log/*.log.*', 'app?', '[a-z]*'])
      expect(isAclRegex(p), p).toBe(false);
  });

  it("grants with Salt's '.*', 'test\\..*' and {'web*': ['test\\..*']}", () => {
    const a = acl({ all: ['.*'], t: ['test\\..*'], w: [{ 'web*': ['test\\..*'] }] });
    expect(a.grantsFor('all', []).denied(call('cmd.run', ['id']), [web1, db1])).toEqual([]);
    expect(a.grantsFor('t', []).denied(call('test.ping'), [web1, db1])).toEqual([]);
    expect(a.grantsFor('t', []).mayCall(call('testXping'))).toBe(false);
    expect(a.grantsFor('t', []).mayCall(call('cmd.run', ['id']))).toBe(false);
    expect(a.grantsFor('w', []).denied(call('test.ping'), [web1, web2, db1])).toEqual(['db1']);
  });

  it("grants runners and wheels with '@runner', '@wheel' and {'@runner': [regex]}", () => {
    const a = acl({ s: ['@runner', '@wheel'], r: [{ '@runner': ['jobs\\..*'] }], j: [{ '@jobs': ['list_.*'] }] });
    expect(a.grantsFor('s', []).special('runner', 'jobs.lookup_jid')).toBe(true);
    expect(a.grantsFor('s', []).special('wheel', 'key.list_all')).toBe(true);
    expect(a.grantsFor('r', []).special('runner', 'jobs.list_jobs')).toBe(true);
    expect(a.grantsFor('r', []).special('runner', 'manage.up')).toBe(false);
    expect(a.grantsFor('j', []).special('runner', 'jobs.list_jobs')).toBe(true);
    expect(a.grantsFor('j', []).special('runner', 'manage.list_x')).toBe(false);
  });

  it('anchors a regex at both ends, and its . never matches a newline', () => {
    const g = acl({ a: ['test\\.ping', { '*': [{ 'test.echo': { args: ['hello .*'] } }] }] }).grantsFor('a', []);
    expect(g.mayCall(call('test.ping'))).toBe(true);
    expect(g.mayCall(call('test.ping_all'))).toBe(false);
    expect(g.mayCall(call('test.echo', ['hello world']))).toBe(true);
    expect(g.mayCall(call('test.echo', ['hello\nworld']))).toBe(false);
  });

  it('reads user keys the same way: a regex where regex syntax shows, else a glob', () => {
    const a = acl({ 'dev.*': ['test.ping'], 'carol*': ['cmd.run'], '(ann|bob)': ['grains.items'] });
    expect(a.grantsFor('devops', []).runsFunctions).toBe(true);
    expect(a.grantsFor('carol2', []).runsFunctions).toBe(true);
    expect(a.grantsFor('caro', []).runsFunctions).toBe(false);
    expect(a.grantsFor('bob', []).runsFunctions).toBe(true);
    expect(a.grantsFor('bobby', []).runsFunctions).toBe(false);
  });

  it('refuses regexes that need backtracking or are too long, with ERR_MASTER_AUTH_CONFIG', () => {
    for (const p of [
      '(a)\\1.*',
      '(?=a).*',
      '(?<!a)b+',
      'a'.repeat(300) + '.*',
      '(unclosed.*',
      '(?i)test\\..*',
      '(?P<m>test)\\..*',
    ])
      expect(() => acl({ a: [p] }), p).toThrow(expect.objectContaining({ code: HttpErrorCode.authConfig }));
  });

  it('matches a catastrophic pattern in time linear in the value', () => {
    const g = acl({ a: [{ '*': [{ 'test.echo': { args: ['(a|a)*(.|.)*!'] } }] }] }).grantsFor('a', []);
    const started = performance.now();
    expect(g.mayCall(call('test.echo', ['a'.repeat(ACL_MAX_MATCHED_CHARS - 1)]))).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('mayCall: the answer the ACL gives before the target is evaluated', () => {
  it('is false when no grant names the function, whatever the target', () => {
    const g = acl({ a: [{ 'web*': ['test.ping'] }] }).grantsFor('a', []);
    expect(g.mayCall(call('test.ping'))).toBe(true);
    expect(g.mayCall(call('cmd.run', ['id']))).toBe(false);
  });
});

describe('@tokens', () => {
  const a = acl({ alice: ['@tokens', 'test.ping'], lead: [{ '@tokens': ['ci*'] }], bob: ['.*'] });

  it("opens only the holder's own tokens", () => {
    const g = a.grantsFor('alice', []);
    expect(g.can(Area.tokens)).toBe(true);
    expect(g.tokensOf('alice')).toBe(true);
    expect(g.tokensOf('bob')).toBe(false);
  });

  it("opens another user's tokens where {'@tokens': [glob]} names it", () => {
    const g = a.grantsFor('lead', []);
    expect(g.can(Area.tokens)).toBe(true);
    expect(g.tokensOf('ci-deploy')).toBe(true);
    expect(g.tokensOf('bob')).toBe(false);
    expect(a.grantsFor('bob', []).tokensOf('bob')).toBe(false);
  });
});
