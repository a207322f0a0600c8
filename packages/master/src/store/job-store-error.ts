import { MasterError } from '../errors.js';

/** Stable codes for {@link JobStoreError}; tests assert these, not the message. */
export const JobStoreErrorCode = {
  /** `createJob` was called with a jid that is already stored. */
  jidExists: 'ERR_STORE_JID_EXISTS',
  /** The database file was written by a newer schema than this build knows. */
  schemaNewer: 'ERR_STORE_SCHEMA_NEWER',
  /** A stored value could not be decoded. */
  corrupt: 'ERR_STORE_CORRUPT',
} as const;

/** One of the codes in {@link JobStoreErrorCode}. */
export type JobStoreErrorCodeValue = (typeof JobStoreErrorCode)[keyof typeof JobStoreErrorCode];

/** An infrastructure failure of the job store, with a stable `code`. */
export class JobStoreError extends MasterError {
  declare readonly code: JobStoreErrorCodeValue;

  /** Makes an error with a stable code and a message for people. */
  constructor(code: JobStoreErrorCodeValue, message: string) {
    super(code, message);
  }
}
