/**
 * The table of stable error codes that cross the wire or reach a caller. Codes are identifiers,
 * never prose; tests assert the code, not the message.
 */
export const ErrorCode = {
  /** A frame larger than the agreed maximum. */
  FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  /** Bytes that are not one complete msgpack value (truncated or garbage). */
  FRAME_MALFORMED: 'ERR_FRAME_MALFORMED',
  /** A frame whose protocol version this side does not speak. */
  FRAME_VERSION: 'ERR_FRAME_VERSION',
  /** A frame whose `type` is not in the protocol. */
  FRAME_UNKNOWN_TYPE: 'ERR_FRAME_UNKNOWN_TYPE',
  /** A frame of a known type whose fields do not match its schema. */
  FRAME_SCHEMA: 'ERR_FRAME_SCHEMA',
  /** A frame that this peer may not send in its current state. */
  FRAME_NOT_ALLOWED: 'ERR_FRAME_NOT_ALLOWED',
  /** A minion id that is empty, too long, or holds `/`, `..`, `\` or control characters. */
  MINION_ID_INVALID: 'ERR_MINION_ID_INVALID',
  /** A signature that does not verify. */
  SIGNATURE_INVALID: 'ERR_SIGNATURE_INVALID',
  /** The master presented a key other than the pinned one. */
  MASTER_KEY_MISMATCH: 'ERR_MASTER_KEY_MISMATCH',
  /** The minion's key is waiting for an operator. */
  KEY_PENDING: 'ERR_KEY_PENDING',
  /** The minion's key was rejected by an operator. */
  KEY_REJECTED: 'ERR_KEY_REJECTED',
  /** The minion id is known with a different key. */
  KEY_DENIED: 'ERR_KEY_DENIED',
  /** The authentication did not complete in time. */
  AUTH_TIMEOUT: 'ERR_AUTH_TIMEOUT',
  /** The master is admitting handshakes at its rate limit; retry later. */
  AUTH_BUSY: 'ERR_AUTH_BUSY',
  /** A job whose expiry has passed. */
  JOB_EXPIRED: 'ERR_JOB_EXPIRED',
  /** A job whose target does not select this minion. */
  JOB_NOT_TARGETED: 'ERR_JOB_NOT_TARGETED',
  /** A job whose signed audience does not hold this minion: the master did not send it here. */
  JOB_NOT_SELECTED: 'ERR_JOB_NOT_SELECTED',
  /** A job function the minion does not have. */
  FUNCTION_UNKNOWN: 'ERR_FUNCTION_UNKNOWN',
  /** Arguments that do not match the function's schema. */
  ARGS_INVALID: 'ERR_ARGS_INVALID',
  /** A target expression that does not parse. */
  TARGET_SYNTAX: 'ERR_TARGET_SYNTAX',
  /** The executor is at its concurrency limit and the queue is full. */
  EXECUTOR_BUSY: 'ERR_EXECUTOR_BUSY',
} as const;

/** One of the codes in {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error as it crosses the wire: data, never a stack. */
export interface WireError {
  code: string;
  message: string;
  data?: unknown;
}

/** Base class for protocol errors; `code` is stable, `message` is for people. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }

  /** The error as data, for the wire or a JSON body. */
  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}

/** A target expression that does not compile; `position` is a 0-based offset into it. */
export class TargetSyntaxError extends ProtocolError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(ErrorCode.TARGET_SYNTAX, message);
    this.name = 'TargetSyntaxError';
  }

  /** An error reading `<what> at position <n><suffix>`, e.g. `expected ')' at position 17`. */
  static at(what: string, position: number, suffix = ''): TargetSyntaxError {
    return new TargetSyntaxError(`${what} at position ${position}${suffix}`, position);
  }
}
