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
  /** `file.chunk`: the path names no file in the master's file roots. */
  FILE_NOT_FOUND: 'ERR_FILE_NOT_FOUND',
  /** `file.chunk`: a path that is absolute, holds `..` or NUL, or leaves the file roots. */
  FILE_PATH_REFUSED: 'ERR_FILE_PATH_REFUSED',
  /** `pillar.data`: a pillar file (or top.sls) did not render; `file:line` in the message. */
  PILLAR_COMPILE: 'ERR_PILLAR_COMPILE',
  /** An encrypted pillar value the master cannot decrypt: no identity, or not encrypted for it. */
  PILLAR_DECRYPT: 'ERR_PILLAR_DECRYPT',
  /** `pillar.data`: a minion asked for a pillar that is not its own. */
  PILLAR_FORBIDDEN: 'ERR_PILLAR_FORBIDDEN',
  /** A job carried `pillar=` overrides and its user lacks `@pillar_override` (a 403 answer). */
  PILLAR_OVERRIDE_DENIED: 'ERR_PILLAR_OVERRIDE_DENIED',
  /** `pillar.data`: a compiled pillar larger than a frame may be (`max_frame_bytes`): it is not sent. */
  PILLAR_TOO_LARGE: 'ERR_PILLAR_TOO_LARGE',
  /** An external pillar source failed. */
  PILLAR_EXTERNAL: 'ERR_PILLAR_EXTERNAL',
  /** `mine.response`: a mine request the master refuses (a bad target, or a read the access rule denies). */
  MINE_REQUEST: 'ERR_MINE_REQUEST',
  /** A schedule name that does not exist, or exists already (the master's scheduler and `schedule.*`). */
  SCHEDULE_NAME: 'ERR_SCHEDULE_NAME',
  /** A schedule that does not validate (the master's scheduler and `schedule.*`). */
  SCHEDULE_INVALID: 'ERR_SCHEDULE_INVALID',
} as const;

/** One of the codes in {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The codes of the REST API's error answers (`{code, message, data?}` with an HTTP status),
 * beside {@link ErrorCode}'s, which an answer may carry too (`ERR_TARGET_SYNTAX`,
 * `ERR_PILLAR_OVERRIDE_DENIED`).
 */
export const ApiErrorCode = {
  /** 401: no credential, or one that is malformed, unknown, expired or revoked. */
  unauthenticated: 'ERR_AUTH_REQUIRED',
  /** 403: a valid credential whose ACL does not allow this. */
  forbidden: 'ERR_AUTH_FORBIDDEN',
  /** 400: the body, query or path does not validate. */
  badRequest: 'ERR_REQUEST_INVALID',
  /** 400: the target matched no minion, so no job was published and no jid assigned. */
  noMinions: 'ERR_NO_MINIONS_MATCHED',
  /** 400: a target expression that does not parse (the protocol's code). */
  targetSyntax: ErrorCode.TARGET_SYNTAX,
  /** A target expression longer than the master evaluates (1,024 characters). */
  targetTooLong: 'ERR_TARGET_TOO_LONG',
  /** 404: no such job, minion, key, token or route. */
  notFound: 'ERR_NOT_FOUND',
  /** 500: a failure of the master itself; the log has the detail, the answer does not. */
  internal: 'ERR_INTERNAL',
  /** 429: too many attempts (logins, webhooks); the answer's Retry-After says when to retry. */
  rateLimited: 'ERR_RATE_LIMITED',
  /** 406: a salt-api request whose `Accept` names no output type the master writes. */
  notAcceptable: 'ERR_NOT_ACCEPTABLE',
  /** 409: a wheel `key.gen_accept` for an id that has a key already, without `force=true`. */
  keyExists: 'ERR_KEY_EXISTS',
  /** 503: a schedule request to a master that runs no scheduler. */
  scheduleOff: 'ERR_SCHEDULE_OFF',
  /** 503: `state.orchestrate` on a master that has no orchestration configured. */
  orchUnavailable: 'ERR_ORCH_UNAVAILABLE',
} as const;

/** One of the codes in {@link ApiErrorCode}. */
export type ApiErrorCodeValue = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** An error as it crosses the wire: data, never a stack. */
export interface WireError {
  code: string;
  message: string;
  data?: unknown;
}

/** Base class for protocol errors; `code` is stable, `message` is for people. */
export class ProtocolError extends Error {
  /** Makes an error with a code of {@link ErrorCode}; `options.cause` keeps the error behind it. */
  constructor(
    readonly code: ErrorCodeValue,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
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
