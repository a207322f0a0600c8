import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CommandFailedError, PkgUnavailableError } from '../errors.js';
import { runCommand } from '../modules/run-command.js';
import { principal } from '../modules/schemas.js';
import { which } from '../modules/which.js';
import { failed, guarded, stateResult } from './result.js';
import { statePath } from './schemas.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

const latestArgs = z.object({
  /** The remote URL (anything `git clone` takes, including a local path). */
  name: z
    .string()
    .min(1)
    .refine((s) => !s.startsWith('-'), 'must not start with "-"'),
  target: statePath,
  rev: z
    .string()
    .regex(/^[^-\s][^\s]*$/, 'must be a branch, tag or commit')
    .default('HEAD'),
  branch: z
    .string()
    .regex(/^[^-\s][^\s]*$/)
    .optional(),
  force_reset: z.boolean().default(false),
  depth: z.number().int().positive().optional(),
  user: principal.optional(),
});

type LatestArgs = z.output<typeof latestArgs>;

async function git(args: string[], a: LatestArgs, ctx: StateContext, cwd?: string): Promise<string> {
  const program = await which('git');
  if (program === undefined) throw new PkgUnavailableError('git (Debian package git)');
  const r = await runCommand(
    [program, ...args],
    {
      rstrip: true,
      env: { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      ...(cwd ? { cwd } : {}),
      ...(a.user !== undefined ? { runas: a.user } : {}),
    },
    ctx,
  );
  if (r.retcode !== 0) throw new CommandFailedError(`git ${args[0]!}`, r.retcode, r.stderr || r.stdout);
  return r.stdout;
}

/** The commit the remote's `rev` names now (ls-remote), or `rev` itself when it looks like a commit id. */
async function remoteCommit(a: LatestArgs, ctx: StateContext): Promise<string | undefined> {
  const out = await git(['ls-remote', '--', a.name, a.rev], a, ctx);
  const refs = new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split('\t')[1]!, l.split('\t')[0]!] as const),
  );
  const hit =
    refs.get(a.rev === 'HEAD' ? 'HEAD' : '') ??
    refs.get(`refs/heads/${a.rev}`) ??
    refs.get(`refs/tags/${a.rev}^{}`) ??
    refs.get(`refs/tags/${a.rev}`) ??
    refs.get(a.rev);
  if (hit) return hit;
  return /^[0-9a-f]{7,40}$/i.test(a.rev) ? a.rev : undefined;
}

async function isRepo(target: string): Promise<boolean | undefined> {
  if (
    await access(join(target, '.git')).then(
      () => true,
      () => false,
    )
  )
    return true;
  const entries = await readdir(target).catch(() => undefined);
  return entries === undefined || entries.length === 0 ? undefined : false;
}

async function latest(a: LatestArgs, ctx: StateContext): Promise<StateResult> {
  const want = await remoteCommit(a, ctx);
  if (want === undefined) return failed(a.target, `Revision '${a.rev}' does not exist in remote ${a.name}`);
  const repo = await isRepo(a.target);
  if (repo === false) return failed(a.target, `Target ${a.target} exists, is non-empty and is not a git repository`);
  if (repo === undefined) {
    const changes = { new: `${a.name} => ${a.target}`, revision: { old: null, new: want } };
    if (ctx.test)
      return stateResult(a.target, { result: null, comment: `${a.name} would be cloned to ${a.target}`, changes });
    const branch = a.branch ?? (a.rev !== 'HEAD' && !/^[0-9a-f]{7,40}$/i.test(a.rev) ? a.rev : undefined);
    await git(
      [
        'clone',
        ...(a.depth ? ['--depth', String(a.depth)] : []),
        ...(branch ? ['--branch', branch] : []),
        '--',
        a.name,
        a.target,
      ],
      a,
      ctx,
    );
    if (!branch && a.rev !== 'HEAD') await git(['checkout', '--quiet', want], a, ctx, a.target);
    const now = await git(['rev-parse', 'HEAD'], a, ctx, a.target);
    return stateResult(a.target, {
      comment: `${a.name} cloned to ${a.target}`,
      changes: { ...changes, revision: { old: null, new: now } },
    });
  }
  const have = await git(['rev-parse', 'HEAD'], a, ctx, a.target);
  if (have === want || have.startsWith(want))
    return stateResult(a.target, { comment: `Repository ${a.target} is up-to-date` });
  const changes = { revision: { old: have, new: want } };
  if (ctx.test) {
    return stateResult(a.target, {
      result: null,
      comment: `Repository ${a.target} would be updated from ${have.slice(0, 7)} to ${want.slice(0, 7)}`,
      changes,
    });
  }
  const dirty = (await git(['status', '--porcelain', '--untracked-files=no'], a, ctx, a.target)) !== '';
  if (dirty && !a.force_reset) {
    return failed(a.target, `Repository ${a.target} has local changes; set force_reset: true to discard them`);
  }
  await git(
    [
      'fetch',
      '--quiet',
      ...(a.depth ? ['--depth', String(a.depth)] : []),
      '--',
      a.name,
      a.rev === 'HEAD' ? 'HEAD' : a.rev,
    ],
    a,
    ctx,
    a.target,
  );
  const fastForward = await git(['merge-base', '--is-ancestor', have, want], a, ctx, a.target).then(
    () => true,
    () => false,
  );
  if (!fastForward && !a.force_reset) {
    return failed(
      a.target,
      `Repository would be updated from ${have.slice(0, 7)} to ${want.slice(0, 7)}, but this is not a fast-forward merge. Set 'force_reset' to True to force this update.`,
    );
  }
  await git(['reset', '--hard', '--quiet', want], a, ctx, a.target);
  return stateResult(a.target, { comment: `Repository ${a.target} updated`, changes });
}

const latestState = defineState({
  name: 'git.latest',
  doc: `Makes sure \`target\` is a clone of the repository \`name\` at the newest commit of \`rev\`
(a branch, tag or commit; default the remote's HEAD): clones when \`target\` is missing or empty,
else fetches and fast-forwards. Local changes or a non-fast-forward update fail unless
\`force_reset: true\` (then \`git reset --hard\`). \`depth\` makes shallow clones; \`user\` runs git
as that user. Needs git (Debian package git). Changes: {new, revision: {old, new}}.

SLS Example:

    https://git.example.com/app.git:
      git.latest:
        - target: /srv/app
        - rev: main`,
  args: latestArgs,
  run: (a, ctx) => guarded(a.target, () => latest(a, ctx)),
});

/** The `git.*` state functions: latest. */
export const gitStates: readonly StateFunction[] = [latestState];
