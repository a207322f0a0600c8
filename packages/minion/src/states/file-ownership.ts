import { chmodSync, chownSync } from 'node:fs';
import { dirname } from 'node:path';
import { GroupUnknownError, UserUnknownError } from '../errors.js';
import { formatMode } from '../modules/schemas.js';
import { statOrUndefined } from './path-stat.js';
import { resolveGroup, resolveUser } from '../modules/users.js';

/** The owner, group and mode a file state wants; each is left alone when undefined. */
export interface Ownership {
  user?: string | number | undefined;
  group?: string | number | undefined;
  /** Permission bits, already parsed from octal. */
  mode?: number | undefined;
}

/** What would change on a path to meet an {@link Ownership}, in Salt's change keys. */
export interface OwnershipPlan {
  changes: { user?: string; group?: string; mode?: string };
  uid: number;
  gid: number;
}

/**
 * Compares a path's owner, group and mode with what is wanted, without changing anything. A path
 * that does not exist yet needs everything given. Throws a coded error for an unknown user/group,
 * except under test mode, where the user or group may be created by an earlier state of the same
 * run (Salt predicts the change too): then it counts as a change.
 */
export async function planOwnership(path: string | undefined, want: Ownership, test = false): Promise<OwnershipPlan> {
  const ids = await resolveIds(want, test);
  // stat, not lstat: chown and chmod follow a symlink, so its target is what to compare.
  const st = path === undefined ? undefined : statOrUndefined(path);
  return comparePlan(st, want, ids);
}

/** The uid and gid of an {@link Ownership} (-1 where not given), resolved once for many paths. */
export async function resolveIds(want: Ownership, test = false): Promise<{ uid: number; gid: number }> {
  const uid = want.user === undefined ? -1 : await idOf(() => resolveUser(want.user!).then((u) => u.uid), test);
  const gid = want.group === undefined ? -1 : await idOf(() => resolveGroup(want.group!), test);
  return { uid, gid };
}

/** {@link planOwnership} for a path already stat'ed (undefined: it does not exist) with resolved ids. */
export function comparePlan(
  st: { uid: number; gid: number; mode: number } | undefined,
  want: Ownership,
  { uid, gid }: { uid: number; gid: number },
): OwnershipPlan {
  const changes: OwnershipPlan['changes'] = {};
  if (want.user !== undefined && st?.uid !== uid) changes.user = String(want.user);
  if (want.group !== undefined && st?.gid !== gid) changes.group = String(want.group);
  if (want.mode !== undefined && (st === undefined || (st.mode & 0o7777) !== want.mode)) {
    changes.mode = formatMode(want.mode);
  }
  return { changes, uid, gid };
}

/** An id, or under test mode -2 (no file has it) for a user or group this host does not know yet. */
async function idOf(resolve: () => Promise<number>, test: boolean): Promise<number> {
  try {
    return await resolve();
  } catch (err) {
    if (test && (err instanceof UserUnknownError || err instanceof GroupUnknownError)) return -2;
    throw err;
  }
}

/** Applies a plan from {@link planOwnership} to a path (owner first: chown clears setuid bits). */
export async function applyOwnership(path: string, plan: OwnershipPlan, want: Ownership): Promise<void> {
  if (plan.changes.user !== undefined || plan.changes.group !== undefined) {
    chownSync(path, plan.uid, plan.gid);
  }
  if (want.mode !== undefined && (plan.changes.mode !== undefined || plan.changes.user !== undefined)) {
    chmodSync(path, want.mode);
  }
}

/**
 * Whether a state must fail because the parent directory of `path` is missing and it may not
 * create it. Never under test mode: an earlier state of the run may create it, as Salt assumes.
 */
export async function parentMissing(path: string, makedirs: boolean, test: boolean): Promise<boolean> {
  if (makedirs || test) return false;
  return statOrUndefined(dirname(path)) === undefined;
}

/** The ownership arguments a state received, without the undefined ones. */
export function ownershipOf(args: Ownership): Ownership {
  return { user: args.user, group: args.group, mode: args.mode };
}
