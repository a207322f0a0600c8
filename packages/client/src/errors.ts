/**
 * The client's error codes. An API answer that is not 2xx keeps the master's own code
 * (`ERR_NO_MINIONS_MATCHED`, `ERR_AUTH_FORBIDDEN`, ...); these are the client's own.
 */
export const ClientErrorCode = {
  /** The master did not answer: connection refused, reset, DNS, TLS. */
  unreachable: 'ERR_CLIENT_UNREACHABLE',
  /** A stream broke before its end. The job goes on on the master; `job$(jid)` re-attaches. */
  streamLost: 'ERR_CLIENT_STREAM_LOST',
  /** The master sent something that is not what the API documents. */
  badResponse: 'ERR_CLIENT_BAD_RESPONSE',
  /** No master URL and token were given or found. */
  noCredentials: 'ERR_CLIENT_NO_CREDENTIALS',
} as const;

/** One of the codes in {@link ClientErrorCode}. */
export type ClientErrorCodeValue = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

declare const fromMaster: unique symbol;

/**
 * A code the master answered with, kept as it came (any of the master's tables): only
 * {@link ApiResponseError} makes one, so every other client error takes a code of {@link ClientErrorCode}.
 */
type MasterCode = string & { readonly [fromMaster]: true };

/** Base class of the client's errors: a stable `code`, a message for people, optional `data`. */
export class BrineClientError extends Error {
  readonly code: string;
  readonly data?: unknown;

  /** Makes an error with a code of {@link ClientErrorCode}; `options.cause` keeps the error behind it. */
  constructor(code: ClientErrorCodeValue | MasterCode, message: string, data?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BrineClientError';
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

/** The API answered with a non-2xx status and its `{code, message, data?}` body; `code` is the master's. */
export class ApiResponseError extends BrineClientError {
  constructor(
    readonly status: number,
    body: { code: string; message: string; data?: unknown },
  ) {
    super(body.code as MasterCode, body.message, body.data);
    this.name = 'ApiResponseError';
  }
}

/** A lost stream: `data.jid` names the job when the master had assigned one. */
export class StreamLostError extends BrineClientError {
  constructor(
    readonly jid: string | undefined,
    cause: unknown,
  ) {
    super(
      ClientErrorCode.streamLost,
      `the stream from the master broke${jid ? ` (job ${jid} goes on; attach with job$)` : ''}`,
      jid === undefined ? undefined : { jid },
      { cause },
    );
    this.name = 'StreamLostError';
  }
}
