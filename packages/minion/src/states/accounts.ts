import { readFile } from 'node:fs/promises';
import { CommandFailedError } from '../errors.js';
import { runProcess } from '../executor/run-process.js';
import { which } from '../modules/which.js';
import type { StateContext } from './types.js';

/** A local account from /etc/passwd, with its supplementary groups from /etc/group. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
  fullname: string;
  home: string;
  shell: string;
  groups: string[];
}

/** A local group from /etc/group. */
export interface Group {
  name: string;
  gid: number;
  members: string[];
}

/** The local groups, from /etc/group (the file useradd and groupadd write). */
export async function readGroups(): Promise<Group[]> {
  return (await lines('/etc/group')).map((f) => ({
    name: f[0]!,
    gid: Number(f[2]),
    members: (f[3] ?? '').split(',').filter(Boolean),
  }));
}

/** One local user, or undefined when /etc/passwd has no such name. */
export async function readAccount(name: string): Promise<Account | undefined> {
  const f = (await lines('/etc/passwd')).find((e) => e[0] === name);
  if (!f) return undefined;
  const groups = (await readGroups()).filter((g) => g.members.includes(name)).map((g) => g.name);
  return {
    name,
    uid: Number(f[2]),
    gid: Number(f[3]),
    fullname: (f[4] ?? '').split(',')[0] ?? '',
    home: f[5] ?? '',
    shell: f[6] ?? '',
    groups: groups.sort(),
  };
}

/** A user's password hash from /etc/shadow ('' when it has none or the file is unreadable). */
export async function readPasswordHash(name: string): Promise<string> {
  const f = (await lines('/etc/shadow').catch(() => [])).find((e) => e[0] === name);
  return f?.[1] ?? '';
}

/** Runs an account tool (useradd, groupmod, ...) without a shell, with optional stdin; rejects with its stderr on failure. */
export async function accountTool(
  argv: string[],
  ctx: Pick<StateContext, 'signal' | 'timeoutMs'>,
  stdin?: string,
): Promise<void> {
  // The shadow tools live in /usr/sbin, which a minion started without root's PATH may lack.
  const program = (await which(argv[0]!)) ?? `/usr/sbin/${argv[0]!}`;
  const r = await runProcess({
    argv: [program, ...argv.slice(1)],
    env: { LC_ALL: 'C' },
    maxOutputBytes: 64 * 1024,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    ...(stdin === undefined ? {} : { stdin }),
  });
  if (r.retcode !== 0) throw new CommandFailedError(argv[0]!, r.retcode, r.stderr || r.stdout);
}

/**
 * Sets a user's password hash with `chpasswd -e`, which reads it from stdin: on useradd's or
 * usermod's command line (`-p`) the hash would be visible to every local user in the process list.
 */
export async function setPasswordHash(
  name: string,
  hash: string,
  ctx: Pick<StateContext, 'signal' | 'timeoutMs'>,
): Promise<void> {
  await accountTool(['chpasswd', '-e'], ctx, `${name}:${hash}\n`);
}

async function lines(file: string): Promise<string[][]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}
