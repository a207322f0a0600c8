import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { brineUrl } from './schemas.js';
import { commandOptions, incompleteNote, resultFlags, runCommand } from './run-command.js';
import { defineFunction, type ModuleContext, type ModuleFunction } from './types.js';
import { resolveUser } from './users.js';

const OPTIONS_DOC = `Options: cwd (absolute path), env (mapping), stdin (text), runas (user), timeout (seconds),
rstrip (default true). Output streams live with --stream and is capped per stream; a capped,
timed-out or cancelled run says so.`;

const argList = z.array(z.union([z.string(), z.number(), z.boolean()]).transform(String));

const run = defineFunction({
  name: 'cmd.run',
  doc: `Runs a command through /bin/sh -c and returns its output, stderr merged into stdout in the
order it was written. The job's retcode is the command's.
${OPTIONS_DOC}

CLI Example:

    brine '*' cmd.run 'uname -a' cwd=/tmp`,
  params: ['cmd'],
  schema: z.object({ cmd: z.string().min(1), ...commandOptions }),
  run: async ({ cmd, ...opts }, ctx) => {
    // The script is one argv item; `exec 2>&1` on its own line merges stderr into the stdout pipe.
    const r = await runCommand(['/bin/sh', '-c', `exec 2>&1\n${cmd}`], opts, ctx);
    // Anything sh printed before the redirect (a syntax error) arrives on stderr; keep it too.
    const text = [r.stdout, r.stderr].filter((s) => s !== '').join('\n');
    return { ret: text + incompleteNote(r, ctx.maxOutputBytes), retcode: r.retcode };
  },
});

const runAll = defineFunction({
  name: 'cmd.run_all',
  doc: `Runs a command through /bin/sh -c and returns {stdout, stderr, retcode, pid}, plus truncated,
timedOut or cancelled when true.
${OPTIONS_DOC}

CLI Example:

    brine '*' cmd.run_all 'ls -l /etc' runas=nobody`,
  params: ['cmd'],
  schema: z.object({ cmd: z.string().min(1), ...commandOptions }),
  run: async ({ cmd, ...opts }, ctx) => {
    const r = await runCommand(['/bin/sh', '-c', cmd], opts, ctx);
    return { ret: fullResult(r), retcode: r.retcode };
  },
});

const exec = defineFunction({
  name: 'cmd.exec',
  doc: `Runs a program with its arguments as given, with no shell, and returns what cmd.run_all
returns. The program is looked up on PATH unless it is a path.
${OPTIONS_DOC}

CLI Example:

    brine '*' cmd.exec /usr/bin/stat -c %s /etc/hostname`,
  params: [],
  rest: 'argv',
  schema: z.object({ argv: argList.min(1), ...commandOptions }),
  run: async ({ argv, ...opts }, ctx) => {
    const r = await runCommand(argv, opts, ctx);
    return { ret: fullResult(r), retcode: r.retcode };
  },
});

const retcode = defineFunction({
  name: 'cmd.retcode',
  doc: `Runs a command through /bin/sh -c and returns only its exit code.
${OPTIONS_DOC}

CLI Example:

    brine '*' cmd.retcode 'test -f /etc/debian_version'`,
  params: ['cmd'],
  schema: z.object({ cmd: z.string().min(1), ...commandOptions }),
  run: async ({ cmd, ...opts }, ctx) => {
    const r = await runCommand(['/bin/sh', '-c', cmd], opts, ctx);
    return { ret: r.retcode, retcode: r.retcode };
  },
});

const script = defineFunction({
  name: 'cmd.script',
  doc: `Fetches a script from the master (brine://path) into the minion's cache, makes it executable
(0700, owned by runas when given; then kept under the system temp dir), runs it with the remaining arguments, no shell (its #! line
decides the interpreter), deletes it, and returns what cmd.run_all returns.
${OPTIONS_DOC}

CLI Example:

    brine '*' cmd.script brine://scripts/cleanup.sh --days 7`,
  params: ['source'],
  rest: 'args',
  schema: z.object({ source: brineUrl, args: argList.default([]), ...commandOptions }),
  run: async ({ source, args, ...opts }, ctx) => {
    const dir = await scriptDir(ctx, opts.runas !== undefined);
    try {
      const path = join(dir, basename(source) || 'script');
      await ctx.files.getFile(source, path);
      await chmod(path, 0o700);
      if (opts.runas !== undefined) {
        const user = await resolveUser(opts.runas);
        await chown(dir, user.uid, user.gid);
        await chown(path, user.uid, user.gid);
      }
      const r = await runCommand([path, ...args], opts, ctx);
      return { ret: fullResult(r), retcode: r.retcode };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
});

/**
 * A private directory for one script run: under the cache, or for `runas` under the system temp
 * dir, because the minion's cache is normally closed to other users (the dir is chowned to them).
 */
async function scriptDir(ctx: ModuleContext, runas: boolean): Promise<string> {
  const parent = runas ? tmpdir() : join(ctx.cacheDir, 'scripts');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  return mkdtemp(join(parent, `${ctx.jid.replace(/[^A-Za-z0-9]/g, '')}-`));
}

function fullResult(r: Awaited<ReturnType<typeof runCommand>>): Record<string, unknown> {
  return { stdout: r.stdout, stderr: r.stderr, retcode: r.retcode, pid: r.pid, ...resultFlags(r) };
}

/** The `cmd.*` functions: run, run_all, exec, retcode, script. */
export const cmdFunctions: readonly ModuleFunction[] = [run, runAll, exec, retcode, script];
