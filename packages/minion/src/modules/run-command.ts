import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { z } from 'zod';
import { runProcess, type ProcessResult } from '../executor/run-process.js';
import { absolutePath, decimal, principal } from './schemas.js';
import type { ModuleContext } from './types.js';
import { resolveUser } from './users.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** The options every `cmd.*` function takes, as a zod shape to spread into its schema. */
export const commandOptions = {
  /** Working directory. Defaults to the home of `runas`, or of the minion's user. */
  cwd: absolutePath.optional(),
  /** Variables set for the command, over the minion's environment. */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), scalar).optional(),
  /** Text written to the command's stdin. */
  stdin: z.string().optional(),
  /** Run as this user (name or uid); the minion must be root. */
  runas: principal.optional(),
  /** Seconds before the command's process group is killed; the job's own timeout still applies. */
  timeout: decimal.optional(),
  /** Strip trailing whitespace from stdout and stderr, as Salt does. */
  rstrip: z.boolean().default(true),
};

/** The part of a module's (or a state's) context that running a command uses. */
export type CommandContext = Pick<ModuleContext, 'log' | 'signal' | 'timeoutMs' | 'maxOutputBytes' | 'emit'>;

/** The parsed form of {@link commandOptions}. */
export type CommandOptions = z.output<z.ZodObject<typeof commandOptions>>;

/**
 * Runs `argv` for a `cmd.*` function: resolves `runas`, picks the working directory, bounds the
 * time by both `timeout` and the job's time left, streams output to `ctx.emit`, and passes on the
 * job's abort signal and output cap. Rejects as {@link runProcess} does.
 */
export async function runCommand(argv: string[], opts: CommandOptions, ctx: CommandContext): Promise<ProcessResult> {
  const user = opts.runas === undefined ? undefined : await resolveUser(opts.runas);
  const env: Record<string, string> = user ? { HOME: user.home, USER: user.name, LOGNAME: user.name } : {};
  Object.assign(env, opts.env);
  const timeoutMs = Math.min(opts.timeout === undefined ? Infinity : opts.timeout * 1000, ctx.timeoutMs);
  const result = await runProcess({
    argv,
    cwd: opts.cwd ?? (await homeOrRoot(user?.home ?? homedir())),
    env,
    maxOutputBytes: ctx.maxOutputBytes,
    signal: ctx.signal,
    onOutput: (stream, chunk) => ctx.emit(stream, chunk),
    ...(Number.isFinite(timeoutMs) ? { timeoutMs: Math.max(0, timeoutMs) } : {}),
    ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  ctx.log.debug({ pid: result.pid, retcode: result.retcode, timedOut: result.timedOut }, 'command finished');
  if (!opts.rstrip) return result;
  return { ...result, stdout: result.stdout.trimEnd(), stderr: result.stderr.trimEnd() };
}

/** The `truncated`/`timedOut`/`cancelled` flags of a result, only those that are true. */
export function resultFlags(r: ProcessResult): { truncated?: true; timedOut?: true; cancelled?: true } {
  return {
    ...(r.truncated ? { truncated: true as const } : {}),
    ...(r.timedOut ? { timedOut: true as const } : {}),
    ...(r.cancelled ? { cancelled: true as const } : {}),
  };
}

/** A line appended to `cmd.run` text when its output is incomplete, so a person reading it knows why. */
export function incompleteNote(r: ProcessResult, maxOutputBytes: number): string {
  const notes: string[] = [];
  if (r.truncated) notes.push(`output truncated at ${maxOutputBytes} bytes`);
  if (r.timedOut) notes.push('timed out');
  if (r.cancelled) notes.push('cancelled');
  return notes.length === 0 ? '' : `\n[brine: ${notes.join(', ')}]`;
}

async function homeOrRoot(home: string): Promise<string> {
  try {
    // Synchronous: one local stat per command, not worth two thread hand-offs (issue #17).
    return statSync(home).isDirectory() ? home : '/';
  } catch {
    return '/';
  }
}
