/** A CLI error with a stable code, mapped to an exit code by `exitCodeForError`. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The master did not answer (connection refused, reset, DNS). */
export class UnreachableError extends CliError {
  constructor(url: string, cause: string) {
    super('ERR_CLI_UNREACHABLE', `cannot reach the master at ${url}: ${cause}`);
  }
}

export { UsageError } from './args.js';
