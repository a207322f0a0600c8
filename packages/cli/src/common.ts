import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { UsageError } from './args.js';
import { ApiCallError } from './client.js';
import { CliError, CliErrorCode } from './errors.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';

/** What a CLI program reads and writes; the bins pass `process`, tests pass buffers. */
export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  exitCode: number;
}

/** Adds the options every command shares: where the master is and the token. */
export function commonOptions(program: Command): Command {
  return program
    .option('--url <url>', 'master REST API URL, or several comma-separated (env BRINE_URL)')
    .option('--token <token>', 'API token (env BRINE_TOKEN)')
    .option('--ca <file>', 'PEM file of the CA or certificate that an HTTPS master must present (env BRINE_CA)');
}

/**
 * Parses argv and runs the program's action, turning every failure into a message on stderr and
 * a documented exit code: usage 64, auth 77, unreachable 69, internal 70.
 */
export async function runMain(program: Command, argv: string[], io: Io): Promise<number> {
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const name = program.name();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return ExitCode.OK;
      return ExitCode.USAGE;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`${name}: ${err.message}\n`);
      return ExitCode.USAGE;
    }
    if (err instanceof ApiCallError || err instanceof CliError) {
      const position =
        err instanceof ApiCallError ? (err.data as { position?: number } | undefined)?.position : undefined;
      // The master's target-syntax messages already say "at position N"; add it only when they do not.
      const where = position !== undefined && !err.message.includes('position') ? ` (at position ${position})` : '';
      io.stderr.write(`${name}: ${err.message}${where}\n`);
      if (err.code === CliErrorCode.unreachable || err.code === CliErrorCode.tls) return ExitCode.UNREACHABLE;
      const exit = exitCodeForError(err.code);
      // A 4xx whose code the table does not know (a runner's ERR_SCHEDULE_INVALID) refuses the
      // request as given: the command line needs fixing, it is not a bug in Brine.
      if (exit === ExitCode.INTERNAL && err instanceof ApiCallError && err.status >= 400 && err.status < 500)
        return ExitCode.USAGE;
      return exit;
    }
    io.stderr.write(`${name}: internal error: ${(err as Error).message}\n`);
    return ExitCode.INTERNAL;
  }
}
