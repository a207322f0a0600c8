import type { ErrorCodeValue } from '@brine/protocol';
import type { StateErrorCodeValue } from '@brine/state';

/**
 * Every code the master's own errors carry, each with when. Codes that cross the wire (frames to
 * minions, API answers: pillar, mine, file server, schedule names) are the protocol's
 * `ErrorCode`/`ApiErrorCode` and are imported, never re-typed; the area tables
 * (`JobStoreErrorCode`, `PillarErrorCode`, `AutomationErrorCode`, `HttpErrorCode`) name
 * entries of these tables.
 */
export const MasterErrorCode = {
  /** A config file or flag that does not validate; the master refuses to start. */
  config: 'ERR_MASTER_CONFIG',
  /** A private key file that others can read; the master refuses to start. */
  keyPermissions: 'ERR_MASTER_KEY_PERMISSIONS',
  /** Any other failure at start; the bin logs it and exits. */
  start: 'ERR_MASTER_START',
  /** `acl:`, `users:` or `hooks:` in the master config do not compile. */
  authConfig: 'ERR_MASTER_AUTH_CONFIG',
  /** The token file in the state directory cannot be read or parsed. */
  tokenFile: 'ERR_MASTER_TOKEN_FILE',
  /** The job store's `createJob` was called with a jid that is already stored. */
  storeJidExists: 'ERR_STORE_JID_EXISTS',
  /** The database was written by a newer schema than this build knows. */
  storeSchemaNewer: 'ERR_STORE_SCHEMA_NEWER',
  /** A stored value could not be decoded. */
  storeCorrupt: 'ERR_STORE_CORRUPT',
  /** The database could not be reached (PostgreSQL down, bad URL, refused login). */
  storeUnreachable: 'ERR_STORE_UNREACHABLE',
  /** The database did not answer a request in time. */
  storeTimeout: 'ERR_STORE_TIMEOUT',
  /** The database refused a statement; `sqlState` says why. */
  storeDatabase: 'ERR_STORE_DATABASE',
  /** The store was used after `close`. */
  storeClosed: 'ERR_STORE_CLOSED',
  /** A reactor SLS that cannot be read, rendered or compiled into reactions. */
  reactorSls: 'ERR_REACTOR_SLS',
  /** A runner or wheel function a reaction names that the master does not have. */
  reactorUnknownFunction: 'ERR_REACTOR_UNKNOWN_FUNCTION',
  /** A reaction's call failed with an error that had no code of its own. */
  reactorCall: 'ERR_REACTOR_CALL',
  /** Arguments a runner or wheel reaction gives that its function does not take (no `mods` for an orchestration). */
  reactorCallArgs: 'ERR_REACTOR_CALL_ARGS',
} as const;

/** One of the codes in {@link MasterErrorCode}. */
export type MasterErrorCodeValue = (typeof MasterErrorCode)[keyof typeof MasterErrorCode];

/** A code a {@link MasterError} accepts: the master's own, or one of the protocol's or the state engine's. */
export type MasterErrorCodeLike = MasterErrorCodeValue | ErrorCodeValue | StateErrorCodeValue;

/** Base of the master's errors: a stable `code` for tests and callers. */
export class MasterError extends Error {
  /** Makes an error with a code from a table; `options.cause` keeps the error behind it. */
  constructor(
    readonly code: MasterErrorCodeLike,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A private key file that others can read: the master refuses to start. */
export class InsecureKeyFileError extends MasterError {
  constructor(file: string, mode: number) {
    super(
      MasterErrorCode.keyPermissions,
      `${file} has mode ${mode.toString(8)}; private keys must be 0600 (chmod 600 ${file})`,
    );
  }
}

/** A config file or flag that does not validate. */
export class ConfigError extends MasterError {
  constructor(message: string, options?: ErrorOptions) {
    super(MasterErrorCode.config, message, options);
  }
}
