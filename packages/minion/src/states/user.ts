import { z } from 'zod';
import { principal } from '../modules/schemas.js';
import { accountTool, readAccount, readGroups, readPasswordHash, setPasswordHash, type Account } from './accounts.js';
import { guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

const accountName = z
  .string()
  .regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'must be a user name')
  .max(32);

const presentArgs = z.object({
  name: accountName,
  uid: z.number().int().nonnegative().optional(),
  gid: principal.optional(),
  groups: z.array(accountName).optional(),
  optional_groups: z.array(accountName).default([]),
  remove_groups: z.boolean().default(true),
  home: z.string().startsWith('/').optional(),
  createhome: z.boolean().default(true),
  shell: z.string().startsWith('/').optional(),
  fullname: z
    .string()
    .regex(/^[^:,\n]*$/, 'must not contain ":", "," or a newline')
    .optional(),
  system: z.boolean().default(false),
  password: z
    .string()
    .regex(/^[^:\n]*$/)
    .optional(),
});

type PresentArgs = z.output<typeof presentArgs>;

/** The attributes to change on an existing user, in Salt's change keys. */
async function diffAccount(a: PresentArgs, have: Account): Promise<Record<string, unknown>> {
  const changes: Record<string, unknown> = {};
  if (a.uid !== undefined && a.uid !== have.uid) changes.uid = a.uid;
  if (a.gid !== undefined && (await gidOf(a.gid)) !== have.gid) changes.gid = a.gid;
  if (a.home !== undefined && a.home !== have.home) changes.home = a.home;
  if (a.shell !== undefined && a.shell !== have.shell) changes.shell = a.shell;
  if (a.fullname !== undefined && a.fullname !== have.fullname) changes.fullname = a.fullname;
  const groups = await wantedGroups(a, have.groups);
  if (groups !== undefined && groups.join(',') !== have.groups.join(',')) changes.groups = groups;
  if (a.password !== undefined && a.password !== (await readPasswordHash(a.name))) changes.passwd = 'XXX-REDACTED-XXX';
  return changes;
}

/** The supplementary groups the user should end with, sorted; undefined when not managed. */
async function wantedGroups(a: PresentArgs, current: readonly string[]): Promise<string[] | undefined> {
  if (a.groups === undefined && a.optional_groups.length === 0) return undefined;
  const existing = new Set((await readGroups()).map((g) => g.name));
  const wanted = new Set([...(a.groups ?? []), ...a.optional_groups.filter((g) => existing.has(g))]);
  if (!a.remove_groups) for (const g of current) wanted.add(g);
  return [...wanted].sort();
}

async function gidOf(gid: string | number): Promise<number> {
  if (typeof gid === 'number' || /^\d+$/.test(gid)) return Number(gid);
  return (await readGroups()).find((g) => g.name === gid)?.gid ?? -1;
}

async function missingGroups(a: PresentArgs): Promise<string[]> {
  const existing = new Set((await readGroups()).map((g) => g.name));
  return (a.groups ?? []).filter((g) => !existing.has(g));
}

async function ensureUser(a: PresentArgs, ctx: StateContext): Promise<StateResult> {
  const missing = await missingGroups(a);
  if (missing.length > 0) {
    // Under test a group.present earlier in the run may create them: predict, do not fail.
    const comment = `The following group(s) are not present: ${missing.join(',')}`;
    if (!ctx.test) return stateResult(a.name, { result: false, comment });
    return stateResult(a.name, {
      result: null,
      comment: `${comment}; if created in this state run, user ${a.name} would be set up`,
    });
  }
  const have = await readAccount(a.name);
  if (!have) {
    if (ctx.test) return stateResult(a.name, { result: null, comment: `User ${a.name} set to be added` });
    const groups = await wantedGroups(a, []);
    await accountTool(
      [
        'useradd',
        ...(a.uid !== undefined ? ['-u', String(a.uid)] : []),
        ...(a.gid !== undefined ? ['-g', String(a.gid)] : []),
        ...(groups && groups.length > 0 ? ['-G', groups.join(',')] : []),
        ...(a.home !== undefined ? ['-d', a.home] : []),
        a.createhome ? '-m' : '-M',
        ...(a.shell !== undefined ? ['-s', a.shell] : []),
        ...(a.fullname !== undefined ? ['-c', a.fullname] : []),
        ...(a.system ? ['-r'] : []),
        '--',
        a.name,
      ],
      ctx,
    );
    if (a.password !== undefined) await setPasswordHash(a.name, a.password, ctx);
    const made = (await readAccount(a.name))!;
    const { name, uid, gid, home, shell, fullname, groups: g } = made;
    return stateResult(a.name, {
      comment: `New user ${a.name} created`,
      changes: { name, uid, gid, home, shell, fullname, groups: g },
    });
  }
  const changes = await diffAccount(a, have);
  if (Object.keys(changes).length === 0)
    return stateResult(a.name, { comment: `User ${a.name} is present and up to date` });
  if (ctx.test) {
    const list = Object.entries(changes).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(',') : String(v)}`);
    return stateResult(a.name, {
      result: null,
      comment: `The following user attributes are set to be changed:\n${list.join('\n')}`,
      changes,
    });
  }
  const argv = ['usermod'];
  if (changes.uid !== undefined) argv.push('-u', String(changes.uid));
  if (changes.gid !== undefined) argv.push('-g', String(changes.gid));
  if (changes.home !== undefined) argv.push('-d', String(changes.home), ...(a.createhome ? ['-m'] : []));
  if (changes.shell !== undefined) argv.push('-s', String(changes.shell));
  if (changes.fullname !== undefined) argv.push('-c', String(changes.fullname));
  if (changes.groups !== undefined) argv.push('-G', (changes.groups as string[]).join(','));
  if (argv.length > 1) await accountTool([...argv, '--', a.name], ctx);
  if (changes.passwd !== undefined) await setPasswordHash(a.name, a.password!, ctx);
  return stateResult(a.name, { comment: `Updated user ${a.name}`, changes });
}

const present = defineState({
  name: 'user.present',
  doc: `Makes sure a local user exists with the given \`uid\`, \`gid\` (primary group), \`groups\`
(supplementary; others are removed unless \`remove_groups: false\`), \`optional_groups\` (only
those that exist), \`home\` (created unless \`createhome: false\`), \`shell\`, \`fullname\`,
\`system\` and \`password\` (a crypt hash, never shown: changes say XXX-REDACTED-XXX). Uses
useradd/usermod.

SLS Example:

    deploy:
      user.present:
        - shell: /bin/bash
        - groups: [sudo]`,
  args: presentArgs,
  run: (a, ctx) => guarded(a.name, () => ensureUser(a, ctx)),
});

const absent = defineState({
  name: 'user.absent',
  doc: `Makes sure a local user does not exist (userdel); \`purge: true\` also removes its home and
mail spool, \`force: true\` removes it even while logged in. Changes: {<name>: "removed"}.

SLS Example:

    olduser:
      user.absent:
        - purge: true`,
  args: z.object({ name: accountName, purge: z.boolean().default(false), force: z.boolean().default(false) }),
  run: (a, ctx) =>
    guarded(a.name, async () => {
      if (!(await readAccount(a.name))) return stateResult(a.name, { comment: `User ${a.name} is not present` });
      const changes = { [a.name]: 'removed' };
      if (ctx.test) return stateResult(a.name, { result: null, comment: `User ${a.name} set for removal`, changes });
      await accountTool(['userdel', ...(a.purge ? ['-r'] : []), ...(a.force ? ['-f'] : []), '--', a.name], ctx);
      return stateResult(a.name, { comment: `Removed user ${a.name}`, changes });
    }),
});

/** The `user.*` state functions: present, absent. */
export const userStates: readonly StateFunction[] = [present, absent];
