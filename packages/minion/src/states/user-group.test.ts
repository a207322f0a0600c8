import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAccount, readGroups, readPasswordHash } from './accounts.js';
import { groupStates } from './group.js';
import { userStates } from './user.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

// Real accounts need root and the shadow tools (Debian's passwd package, always installed).
const canManage = process.getuid?.() === 0 && existsSync('/usr/sbin/useradd');
const user = (n: string) => userStates.find((s) => s.name === `user.${n}`)!;
const group = (n: string) => groupStates.find((s) => s.name === `group.${n}`)!;

let t: StateTestContext;
let suffix: string;
const made: { users: string[]; groups: string[] } = { users: [], groups: [] };
beforeEach(async () => {
  t = await createStateTestContext();
  suffix = `${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
});
afterEach(async () => {
  for (const u of made.users.splice(0)) quietly('userdel', ['-r', u]);
  for (const g of made.groups.splice(0)) quietly('groupdel', [g]);
  await t.cleanup();
});

function quietly(tool: string, args: string[]): void {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

describe.runIf(canManage)('user.present and user.absent on this host', () => {
  it('creates a user with a home and shell, then finds it up to date', async () => {
    const name = `brt${suffix}`;
    made.users.push(name);
    made.groups.push(name);
    const args = { name, shell: '/bin/sh', fullname: 'Brine Test', home: `/home/${name}` };
    expect(await applyState(user('present'), args, t.state, { test: true })).toEqual({
      name,
      result: null,
      comment: `User ${name} set to be added`,
      changes: {},
    });
    expect(await readAccount(name)).toBeUndefined();
    const first = await applyState(user('present'), args, t.state);
    expect(first).toMatchObject({
      result: true,
      comment: `New user ${name} created`,
      changes: { name, shell: '/bin/sh', fullname: 'Brine Test' },
    });
    expect((await stat(`/home/${name}`)).isDirectory()).toBe(true);
    expect(await applyState(user('present'), args, t.state)).toEqual({
      name,
      result: true,
      comment: `User ${name} is present and up to date`,
      changes: {},
    });
  });

  it('changes the shell and supplementary groups of an existing user', async () => {
    const name = `brt${suffix}`;
    const extra = `brg${suffix}`;
    made.users.push(name);
    made.groups.push(name, extra);
    await applyState(user('present'), { name, createhome: false }, t.state);
    await applyState(group('present'), { name: extra }, t.state);
    const args = { name, shell: '/bin/bash', groups: [extra], createhome: false };
    const predicted = await applyState(user('present'), args, t.state, { test: true });
    expect(predicted).toMatchObject({ result: null, changes: { shell: '/bin/bash', groups: [extra] } });
    expect(predicted.comment).toMatch(/^The following user attributes are set to be changed:\n/);
    expect(await applyState(user('present'), args, t.state)).toMatchObject({
      result: true,
      changes: predicted.changes,
    });
    expect(await readAccount(name)).toMatchObject({ shell: '/bin/bash', groups: [extra] });
    expect((await applyState(user('present'), args, t.state)).changes).toEqual({});
  });

  it('sets a password hash, shows it redacted, and finds it unchanged next time', async () => {
    const name = `brt${suffix}`;
    made.users.push(name);
    made.groups.push(name);
    // A SHA-512 crypt hash of "brine"; any well-formed hash will do.
    const password =
      '$6$saltsalt$ObUMb3u.Ma4cW1TfSR4l6Ym5zJPQ0pQx0BzXzaJ8gkVPoOWtAQZjCAPn3D3dVEs9Kg8y2JbM0W7q7C0DwW2a1.';
    await applyState(user('present'), { name, createhome: false }, t.state);
    expect((await applyState(user('present'), { name, createhome: false, password }, t.state)).changes).toEqual({
      passwd: 'XXX-REDACTED-XXX',
    });
    expect(await readPasswordHash(name)).toBe(password);
    expect((await applyState(user('present'), { name, createhome: false, password }, t.state)).changes).toEqual({});
  });

  it('fails when a listed group does not exist', async () => {
    expect(
      await applyState(user('present'), { name: `brt${suffix}`, groups: ['no-such-group-brine'] }, t.state),
    ).toMatchObject({
      result: false,
      comment: 'The following group(s) are not present: no-such-group-brine',
    });
  });

  it('predicts instead of failing under test, as the group may come from an earlier state', async () => {
    const name = `brt${suffix}`;
    expect(
      await applyState(user('present'), { name, groups: ['no-such-group-brine'] }, t.state, { test: true }),
    ).toMatchObject({
      result: null,
      comment: expect.stringContaining('if created in this state run'),
    });
  });

  it('removes a user and then finds it not present', async () => {
    const name = `brt${suffix}`;
    made.users.push(name);
    made.groups.push(name);
    await applyState(user('present'), { name }, t.state);
    expect(await applyState(user('absent'), { name, purge: true }, t.state, { test: true })).toMatchObject({
      result: null,
    });
    expect(await applyState(user('absent'), { name, purge: true }, t.state)).toEqual({
      name,
      result: true,
      comment: `Removed user ${name}`,
      changes: { [name]: 'removed' },
    });
    expect(await readAccount(name)).toBeUndefined();
    expect(await applyState(user('absent'), { name }, t.state)).toMatchObject({
      changes: {},
      comment: `User ${name} is not present`,
    });
  });
});

describe.runIf(canManage)('group.present and group.absent on this host', () => {
  it('creates a group with members, adjusts them, and removes it', async () => {
    const name = `brg${suffix}`;
    const member = `brt${suffix}`;
    made.groups.push(name, member);
    made.users.push(member);
    await applyState(user('present'), { name: member, createhome: false }, t.state);
    expect(await applyState(group('present'), { name, members: [member] }, t.state, { test: true })).toMatchObject({
      result: null,
    });
    expect(await applyState(group('present'), { name, members: [member] }, t.state)).toMatchObject({
      result: true,
      comment: `New group ${name} created`,
      changes: { name, members: [member] },
    });
    expect((await readGroups()).find((g) => g.name === name)?.members).toEqual([member]);
    expect((await applyState(group('present'), { name, members: [member] }, t.state)).changes).toEqual({});
    expect((await applyState(group('present'), { name, delusers: [member] }, t.state)).changes).toEqual({
      members: [],
    });
    expect(await applyState(group('absent'), { name }, t.state)).toMatchObject({
      changes: { [name]: '' },
      comment: `Removed group ${name}`,
    });
    expect(await applyState(group('absent'), { name }, t.state)).toMatchObject({
      changes: {},
      comment: 'Group not present',
    });
  });

  it('refuses a gid another group has, and members mixed with addusers', async () => {
    const name = `brg${suffix}`;
    expect(await applyState(group('present'), { name, gid: 0 }, t.state)).toMatchObject({
      result: false,
      comment: `Group ${name} is not present but gid 0 is already taken by group root`,
    });
    expect(group('present').args.safeParse({ name, members: ['a'], addusers: ['b'] }).success).toBe(false);
  });
});
