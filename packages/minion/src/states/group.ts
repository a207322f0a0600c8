import { z } from 'zod';
import { accountTool, readAccount, readGroups } from './accounts.js';
import { guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

const groupName = z
  .string()
  .regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'must be a group name')
  .max(32);

const presentArgs = z
  .object({
    name: groupName,
    gid: z.number().int().nonnegative().optional(),
    system: z.boolean().default(false),
    members: z.array(groupName).optional(),
    addusers: z.array(groupName).default([]),
    delusers: z.array(groupName).default([]),
  })
  .refine((a) => a.members === undefined || (a.addusers.length === 0 && a.delusers.length === 0), {
    message: 'members cannot be used together with addusers or delusers',
  })
  .refine((a) => !a.addusers.some((u) => a.delusers.includes(u)), {
    message: 'the same user cannot be in both addusers and delusers',
  });

type PresentArgs = z.output<typeof presentArgs>;

function wantedMembers(a: PresentArgs, current: readonly string[]): string[] {
  const base = new Set(a.members ?? current);
  for (const u of a.addusers) base.add(u);
  for (const u of a.delusers) base.delete(u);
  return [...base].sort();
}

async function ensureGroup(a: PresentArgs, ctx: StateContext): Promise<StateResult> {
  const users = [...(a.members ?? []), ...a.addusers];
  const unknown = [];
  for (const u of users) if (!(await readAccount(u))) unknown.push(u);
  if (unknown.length > 0)
    return stateResult(a.name, { result: false, comment: `Users not present: ${unknown.join(', ')}` });
  const have = (await readGroups()).find((g) => g.name === a.name);
  if (!have) {
    const taken = a.gid === undefined ? undefined : (await readGroups()).find((g) => g.gid === a.gid);
    if (taken) {
      return stateResult(a.name, {
        result: false,
        comment: `Group ${a.name} is not present but gid ${a.gid} is already taken by group ${taken.name}`,
      });
    }
    if (ctx.test) return stateResult(a.name, { result: null, comment: `Group ${a.name} set to be added` });
    await accountTool(
      ['groupadd', ...(a.gid !== undefined ? ['-g', String(a.gid)] : []), ...(a.system ? ['-r'] : []), '--', a.name],
      ctx,
    );
    const members = wantedMembers(a, []);
    if (members.length > 0) await accountTool(['gpasswd', '-M', members.join(','), a.name], ctx);
    const made = (await readGroups()).find((g) => g.name === a.name)!;
    return stateResult(a.name, {
      comment: `New group ${a.name} created`,
      changes: { name: a.name, gid: made.gid, members: made.members.sort() },
    });
  }
  const changes: Record<string, unknown> = {};
  if (a.gid !== undefined && a.gid !== have.gid) changes.gid = a.gid;
  const members = wantedMembers(a, have.members);
  if (members.join(',') !== [...have.members].sort().join(',')) changes.members = members;
  if (Object.keys(changes).length === 0)
    return stateResult(a.name, { comment: `Group ${a.name} is present and up to date` });
  if (ctx.test) {
    const list = Object.entries(changes).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(',') : String(v)}`);
    return stateResult(a.name, {
      result: null,
      comment: `The following group attributes are set to be changed:\n${list.join('\n')}`,
      changes,
    });
  }
  if (changes.gid !== undefined) await accountTool(['groupmod', '-g', String(changes.gid), '--', a.name], ctx);
  if (changes.members !== undefined) await accountTool(['gpasswd', '-M', members.join(','), a.name], ctx);
  return stateResult(a.name, {
    comment: `The following group attributes were changed: ${Object.keys(changes).join(', ')}`,
    changes,
  });
}

const present = defineState({
  name: 'group.present',
  doc: `Makes sure a local group exists with \`gid\` and \`system\`; \`members\` sets the exact member
list, \`addusers\`/\`delusers\` add and remove members. Uses groupadd/groupmod/gpasswd.
Changes on creation: {name, gid, members}.

SLS Example:

    developers:
      group.present:
        - gid: 2000
        - addusers: [alice]`,
  args: presentArgs,
  run: (a, ctx) => guarded(a.name, () => ensureGroup(a, ctx)),
});

const absent = defineState({
  name: 'group.absent',
  doc: `Makes sure a local group does not exist (groupdel). Changes: {<name>: ""}.

SLS Example:

    oldgroup:
      group.absent`,
  args: z.object({ name: groupName }),
  run: (a, ctx) =>
    guarded(a.name, async () => {
      if (!(await readGroups()).some((g) => g.name === a.name))
        return stateResult(a.name, { comment: 'Group not present' });
      const changes = { [a.name]: '' };
      if (ctx.test)
        return stateResult(a.name, { result: null, comment: `Group ${a.name} is set for removal`, changes });
      await accountTool(['groupdel', '--', a.name], ctx);
      return stateResult(a.name, { comment: `Removed group ${a.name}`, changes });
    }),
});

/** The `group.*` state functions: present, absent. */
export const groupStates: readonly StateFunction[] = [present, absent];
