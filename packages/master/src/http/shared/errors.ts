import { ApiErrorCode, type ApiErrorCodeValue, type ErrorCodeValue } from '@brine/protocol';
import type { StateErrorCodeValue } from '@brine/state';
import { MasterError, MasterErrorCode, type MasterErrorCodeValue } from '../../errors.js';

/** Codes of the HTTP layer that are not API answers: config and token-file failures at start. */
export const HttpErrorCode = {
  /** `acl:`, `users:` or `hooks:` in the master config do not compile. */
  authConfig: MasterErrorCode.authConfig,
  /** The token file in the state directory cannot be read or parsed. */
  tokenFile: MasterErrorCode.tokenFile,
} as const;

/**
 * A code an API answer carries: the API's, the protocol's (`ERR_TARGET_SYNTAX`,
 * `ERR_PILLAR_OVERRIDE_DENIED`), the state engine's or the master's (a store outage is a 503 with
 * the store's code).
 */
export type HttpErrorCodeValue = ApiErrorCodeValue | ErrorCodeValue | StateErrorCodeValue | MasterErrorCodeValue;

/** An error answered as `{code, message}` with an HTTP status; stacks never cross the wire. */
export class HttpError extends Error {
  /** Makes an answer with a status, a stable code, a message for people and optional data. */
  constructor(
    readonly status: number,
    readonly code: HttpErrorCodeValue,
    message: string,
    readonly data?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: the body, query or path does not validate. */
export class BadRequestError extends HttpError {
  /** Makes a 400 answer with `ERR_REQUEST_INVALID` (or a more precise code). */
  constructor(message: string, code: HttpErrorCodeValue = ApiErrorCode.badRequest, data?: unknown) {
    super(400, code, message, data);
  }
}

/** 401: no credential, or one that is malformed, unknown, expired or revoked. */
export class UnauthenticatedError extends HttpError {
  /** Makes a 401 answer with `ERR_AUTH_REQUIRED`; the message never says which check failed. */
  constructor(message = 'a valid token is required') {
    super(401, ApiErrorCode.unauthenticated, message);
  }
}

/** 403: a valid credential whose ACL does not allow this. */
export class ForbiddenError extends HttpError {
  /** Makes a 403 answer with `ERR_AUTH_FORBIDDEN`. */
  constructor(message: string) {
    super(403, ApiErrorCode.forbidden, message);
  }
}

/** 404: no such job, minion, key, token or route. */
export class NotFoundError extends HttpError {
  /** Makes a 404 answer with `ERR_NOT_FOUND`. */
  constructor(message: string) {
    super(404, ApiErrorCode.notFound, message);
  }
}

/** 429: too many attempts; `Retry-After` says when to come back. */
export class TooManyRequestsError extends HttpError {
  /** Makes a 429 answer with `ERR_RATE_LIMITED` and the seconds to wait (at least 1). */
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(429, ApiErrorCode.rateLimited, message, { retryAfterS: Math.max(1, Math.ceil(retryAfterS)) });
  }
}

/** The `users`, `acl` or `hooks` config does not compile; the master refuses to start. */
export class AuthConfigError extends MasterError {
  /** Makes an error naming the config path that is wrong. */
  constructor(message: string) {
    super(HttpErrorCode.authConfig, message);
  }
}

/** The token file cannot be read or parsed; the master refuses to start rather than drop tokens. */
export class TokenFileError extends MasterError {
  /** Makes an error naming the file and what is wrong with it. */
  constructor(file: string, reason: string) {
    super(HttpErrorCode.tokenFile, `${file}: ${reason}`);
  }
}
