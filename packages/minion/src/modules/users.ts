import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { GroupUnknownError, UserUnknownError } from '../errors.js';

const execFileAsync = promisify(execFile);

/** A local account as `runas` and `file.chown` need it. */
export interface UserInfo {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * Resolves a user name or uid to its account: `/etc/passwd` first, then `getent passwd` (run with
 * execFile, no shell) for users from NSS such as LDAP. A uid with no entry still resolves, with
 * its gid equal to the uid and `/` as home. Throws {@link UserUnknownError} for an unknown name.
 */
export async function resolveUser(user: string | number): Promise<UserInfo> {
  const key = String(user);
  const byId = /^\d+$/.test(key);
  const entry = (await findEntry('/etc/passwd', key, byId)) ?? (await getent('passwd', key));
  if (entry) {
    return { name: entry[0]!, uid: Number(entry[2]), gid: Number(entry[3]), home: entry[5] || '/' };
  }
  if (byId) return { name: key, uid: Number(key), gid: Number(key), home: '/' };
  throw new UserUnknownError(key);
}

/** Resolves a group name or gid to a gid, as {@link resolveUser} does; throws {@link GroupUnknownError}. */
export async function resolveGroup(group: string | number): Promise<number> {
  const key = String(group);
  if (/^\d+$/.test(key)) return Number(key);
  const entry = (await findEntry('/etc/group', key, false)) ?? (await getent('group', key));
  if (entry) return Number(entry[2]);
  throw new GroupUnknownError(key);
}

/** The local names of a uid and gid from `/etc/passwd` and `/etc/group`, when they have one. */
export async function namesOf(uid: number, gid: number): Promise<{ user?: string; group?: string }> {
  const [user, group] = await Promise.all([
    findEntry('/etc/passwd', String(uid), true),
    findEntry('/etc/group', String(gid), true),
  ]);
  return { ...(user ? { user: user[0]! } : {}), ...(group ? { group: group[0]! } : {}) };
}

/** The colon-separated fields of the first line whose name (or id, field 3) equals `key`. */
async function findEntry(file: string, key: string, byId: boolean): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3 && fields[byId ? 2 : 0] === key) return fields;
  }
  return undefined;
}

async function getent(database: 'passwd' | 'group', key: string): Promise<string[] | undefined> {
  try {
    const { stdout } = await execFileAsync('getent', [database, key], { timeout: 5000 });
    const fields = stdout.split('\n')[0]!.split(':');
    return fields.length >= 3 ? fields : undefined;
  } catch {
    // Exit 2 (not found), or no getent on this host.
    return undefined;
  }
}
