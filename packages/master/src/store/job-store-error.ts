import { MasterError, MasterErrorCode } from '../errors.js';

/** Stable codes for {@link JobStoreError}, entries of the master's table; tests assert these, not the message. */
export const JobStoreErrorCode = {
  /** `createJob` was called with a jid that is already stored. */
  jidExists: MasterErrorCode.storeJidExists,
  /** The database file was written by a newer schema than this build knows. */
  schemaNewer: MasterErrorCode.storeSchemaNewer,
  /** A stored value could not be decoded. */
  corrupt: MasterErrorCode.storeCorrupt,
  /** The database could not be reached (PostgreSQL down, bad URL, refused login). */
  unreachable: MasterErrorCode.storeUnreachable,
  /** The database did not answer a request in time. */
  timeout: MasterErrorCode.storeTimeout,
  /** The database refused a statement; `sqlState` says why. */
  database: MasterErrorCode.storeDatabase,
  /** The store was used after `close`. */
  closed: MasterErrorCode.storeClosed,
} as const;

/** One of the codes in {@link JobStoreErrorCode}. */
export type JobStoreErrorCodeValue = (typeof JobStoreErrorCode)[keyof typeof JobStoreErrorCode];

/** An infrastructure failure of the job store, with a stable `code`. */
export class JobStoreError extends MasterError {
  declare readonly code: JobStoreErrorCodeValue;

  /**
   * Makes an error with a stable code and a message for people; `sqlState` is PostgreSQL's
   * five-character error code where the database gave one.
   */
  constructor(
    code: JobStoreErrorCodeValue,
    message: string,
    readonly sqlState?: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/**
 * Whether an error is the job store being out of reach (PostgreSQL down or not answering): the
 * API answers those 503 with the store's code, and the caller may retry.
 */
export function isStoreOutage(err: unknown): err is JobStoreError {
  return (
    err instanceof JobStoreError &&
    (err.code === JobStoreErrorCode.unreachable || err.code === JobStoreErrorCode.timeout)
  );
}
