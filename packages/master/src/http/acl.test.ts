import { describe, expect, it } from 'vitest';
import { aclSchema } from '../config-auth.js';
import { Acl, Area } from './acl.js';
import { HttpErrorCode } from './errors.js';

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
