import type { ApiErrorCodeValue } from '@brine/protocol/errors';

/** The CLI's own error codes; an error the master answered keeps the master's code. */
export const CliErrorCode = {
  /** A command line the user must fix: flags, arguments, a `key=value` that does not parse. */
  usage: 'ERR_CLI_USAGE',
  /** A config or CA file that cannot be read or parsed. */
  config: 'ERR_CLI_CONFIG',
  /** `--local` needs `brine-minion` and it could not be started. */
  minionMissing: 'ERR_CLI_MINION_MISSING',
  /** The master's certificate did not verify against the CA or the pinned fingerprint. */
  tls: 'ERR_CLI_TLS',
  /** The master's certificate does not match the pinned fingerprint (the socket's code, turned into `tls`). */
  tlsPin: 'ERR_CLI_TLS_PIN',
  /** The master did not answer (connection refused, reset, DNS). */
  unreachable: 'ERR_CLI_UNREACHABLE',
} as const;

/** One of the codes in {@link CliErrorCode}. */
export type CliErrorCodeValue = (typeof CliErrorCode)[keyof typeof CliErrorCode];

declare const forwarded: unique symbol;

/** A code that came from the master or the SDK, kept as it came: made only by {@link forwardedCode}. */
export type ForwardedCode = string & { readonly [forwarded]: true };

/** Marks a code the master (or `@brine/client`) gave as one the CLI passes on unchanged. */
export function forwardedCode(code: string): ForwardedCode {
  return code as ForwardedCode;
}

/** A CLI error with a stable code, mapped to an exit code by `exitCodeForError`. */
export class CliError extends Error {
  readonly code: string;
  readonly data?: unknown;

  /** Makes an error with a code of {@link CliErrorCode} or the API's; `options.cause` keeps the error behind it. */
  constructor(
    code: CliErrorCodeValue | ApiErrorCodeValue | ForwardedCode,
    message: string,
    data?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

/** The master did not answer (connection refused, reset, DNS). */
export class UnreachableError extends CliError {
  constructor(url: string, cause: string) {
    super(CliErrorCode.unreachable, `cannot reach the master at ${url}: ${cause}`);
  }
}

/** A command line the user must fix; the bin prints the message and exits with `ExitCode.USAGE`. */
export class UsageError extends Error {
  readonly code = CliErrorCode.usage;
  override readonly name = 'UsageError';
}
