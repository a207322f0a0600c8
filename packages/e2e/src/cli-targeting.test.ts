import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster } from '@brine/testing';
import { idsOf } from './cli-helpers.js';

// Two web minions with nested grains, two db minions; nodegroups on the master.
let cluster: Cluster;
const run = (...args: string[]) => cluster.cli(BIN.brine, args);

beforeAll(async () => {
  cluster = new Cluster({
    minions: ['db1', 'db2'],
    minion: { grains: { role: 'db' } },
    master: { nodegroups: { web: 'L@web1,web2', mixed: 'G@role:db and not db2 or web1' } },
  });
  await cluster.start();
  cluster.startMinion('web1', { grains: { role: 'web', site: { dc: 'east' } } });
  cluster.startMinion('web2', { grains: { role: 'web', site: { dc: 'west' } } });
  await cluster.waitConnected(['web1', 'web2']);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('brine target flags against real minions', () => {
  it('selects minions by a glob on ids when no flag is given', async () => {
    const r = await run('web*', 'test.ping', '--out', 'json');
    expect(r.code).toBe(0);
    expect(idsOf(r)).toEqual(['web1', 'web2']);
  });

  it('selects minions by a regular expression with -E', async () => {
    const r = await run('-E', '^(web1|db2)$', 'test.ping', '--out', 'json');
    expect(r.code).toBe(0);
    expect(idsOf(r)).toEqual(['db2', 'web1']);
  });

  it('selects the listed minions with -L', async () => {
    const r = await run('-L', 'web2,db1', 'test.ping', '--out', 'json');
    expect(r.code).toBe(0);
    expect(idsOf(r)).toEqual(['db1', 'web2']);
  });

  it('selects by a grain glob with -G, nested keys separated by colons', async () => {
    const byRole = await run('-G', 'role:web', 'test.ping', '--out', 'json');
    expect(byRole.code).toBe(0);
    expect(idsOf(byRole)).toEqual(['web1', 'web2']);
    const nested = await run('-G', 'site:dc:e*', 'test.ping', '--out', 'json');
    expect(idsOf(nested)).toEqual(['web1']);
  });

  it('selects by a grain regular expression with -P', async () => {
    const r = await run('-P', 'role:^d.$', 'test.ping', '--out', 'json');
    expect(r.code).toBe(0);
    expect(idsOf(r)).toEqual(['db1', 'db2']);
  });

  it('selects by address with -S, and matches nothing outside the CIDR', async () => {
    const all = await run('-S', '127.0.0.0/8', 'test.ping', '--out', 'json');
    expect(all.code).toBe(0);
    expect(idsOf(all)).toEqual(['db1', 'db2', 'web1', 'web2']);
    const one = await run('-S', '127.0.0.1', 'test.ping', '--out', 'json');
    expect(idsOf(one)).toEqual(['db1', 'db2', 'web1', 'web2']);
    // An address no interface has (broadcast-adjacent, never assigned).
    const none = await run('-S', '255.255.255.254/32', 'test.ping');
    expect(none.code).toBe(3);
  });

  it('selects by a compound expression with -C', async () => {
    const r = await run('-C', 'G@role:web and not web2 or L@db2', 'test.ping', '--out', 'json');
    expect(r.code).toBe(0);
    expect(idsOf(r)).toEqual(['db2', 'web1']);
  });

  it('selects a nodegroup from the master config with -N', async () => {
    const web = await run('-N', 'web', 'test.ping', '--out', 'json');
    expect(web.code).toBe(0);
    expect(idsOf(web)).toEqual(['web1', 'web2']);
    const mixed = await run('-N', 'mixed', 'test.ping', '--out', 'json');
    expect(idsOf(mixed)).toEqual(['db1', 'web1']);
  });

  it('lists the selected minions with --preview and publishes no job', async () => {
    const before = await cluster.api<{ jobs: unknown[] }>('GET', '/api/v1/jobs?limit=1000');
    const r = await run('-G', 'role:db', '--preview');
    expect(r).toMatchObject({ code: 0, stdout: 'db1\ndb2\n' });
    const withFun = await run('-C', 'web1 or db2', 'cmd.run', 'reboot', '--preview');
    expect(withFun).toMatchObject({ code: 0, stdout: 'db2\nweb1\n' });
    const none = await run('nomatch*', '--preview');
    expect(none).toMatchObject({ code: 3, stdout: '' });
    const after = await cluster.api<{ jobs: unknown[] }>('GET', '/api/v1/jobs?limit=1000');
    expect(after.body.jobs.length).toBe(before.body.jobs.length);
  });

  it('exits 3 and says no minion matched when a flag-selected target is empty', async () => {
    const r = await run('-G', 'role:cache', 'test.ping');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('No minions matched the target');
    expect(r.stdout).toBe('');
  });

  it('exits 64 on two target flags, naming them', async () => {
    const r = await run('-L', '-G', 'web1', 'test.ping');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('at most one target flag');
  });

  it('exits 64 on a compound syntax error and names the position once', async () => {
    const r = await run('-C', 'web* and and', 'test.ping');
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/position 9/);
    expect(r.stderr.match(/position/g)).toHaveLength(1);
    const preview = await run('-C', 'web* and (', '--preview');
    expect(preview.code).toBe(64);
  });

  it('exits 64 for an unknown nodegroup', async () => {
    const r = await run('-N', 'nosuchgroup', 'test.ping');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('nosuchgroup');
  });

  it('still targets minions named like the subcommands with -L', async () => {
    const r = await run('-L', 'events,completion', 'test.ping', '--out', 'json');
    expect(r.code).toBe(2);
    expect(idsOf(r)).toEqual(['completion', 'events']);
  });
});
