/**
 * The minion's errors: small classes with stable `ERR_MINION_*` codes. The executor turns a thrown
 * error into `{code, message}` for the job's return; tests assert the code, not the text.
 */
import type { ErrorCodeValue } from '@brine/protocol';
import type { StateErrorCodeValue } from '@brine/state';

/** Every code the minion's own errors carry; codes of the protocol and the state engine are imported, never re-typed. */
export const MinionErrorCode = {
  /** A program could not be started (not found, not executable, bad cwd, no permission to switch user). */
  spawnFailed: 'ERR_MINION_SPAWN_FAILED',
  /** The job was cancelled (its abort signal fired) before or while the work ran. */
  cancelled: 'ERR_MINION_CANCELLED',
  /** A user name or id that this host does not know (`runas`, `file.chown`). */
  userUnknown: 'ERR_MINION_USER_UNKNOWN',
  /** A group name that this host does not know (`file.chown`). */
  groupUnknown: 'ERR_MINION_GROUP_UNKNOWN',
  /** A file or directory that does not exist. */
  fileNotFound: 'ERR_MINION_FILE_NOT_FOUND',
  /** Permission denied on a file operation. */
  fileAccess: 'ERR_MINION_FILE_ACCESS',
  /** A file where a directory was expected, or the other way round. */
  fileType: 'ERR_MINION_FILE_TYPE',
  /** A file too large to return in a job result. */
  fileTooLarge: 'ERR_MINION_FILE_TOO_LARGE',
  /** Any other file-system failure; `data.errno` holds the system code. */
  fileIo: 'ERR_MINION_FILE_IO',
  /** A path the minion refuses to act on: `/` for `file.remove`, or a name escaping its directory. */
  pathRefused: 'ERR_MINION_PATH_REFUSED',
  /** The host has no apt-get/dpkg on its PATH, so `pkg.*` cannot work here. */
  pkgUnavailable: 'ERR_MINION_PKG_UNAVAILABLE',
  /** systemd is not running or systemctl is missing, so `service.*` cannot work. */
  serviceUnavailable: 'ERR_MINION_SERVICE_UNAVAILABLE',
  /** A helper program (apt-get, systemctl, ...) exited non-zero; `data` holds its retcode and stderr. */
  commandFailed: 'ERR_MINION_COMMAND_FAILED',
  /** A function threw something that is not a {@link MinionError}: the message is all there is. */
  function: 'ERR_MINION_FUNCTION',
  /** The minion restarted while a job ran; the job's return says so after the restart. */
  restarted: 'ERR_MINION_RESTARTED',
  /** A job cancelled or timed out while it waited in the executor's queue: it never ran. */
  notStarted: 'ERR_MINION_NOT_STARTED',
  /** A custom module function threw; its return carries the message and the stack. */
  customFunction: 'ERR_MINION_CUSTOM_FUNCTION',
  /**
   * A custom module's worker ended under the call: terminated because a call on it overran its
   * deadline, or dead (out of memory, an uncaught throw in a callback).
   */
  customWorker: 'ERR_MINION_CUSTOM_WORKER',
  /** A swarm minion was asked for an extension function before it had an extension manager. */
  extendUnavailable: 'ERR_MINION_EXTEND_UNAVAILABLE',
  /** A `beacons:` entry names a module that is neither built in nor a synced custom beacon. */
  beaconUnknown: 'ERR_MINION_BEACON_UNKNOWN',
  /** The master sent no signed listing of extensions (an older master, or it could not make one). */
  extendUnsigned: 'ERR_MINION_EXTEND_UNSIGNED',
  /** The extension listing's signature, kind or age did not check out against the pinned master key. */
  extendListing: 'ERR_MINION_EXTEND_LISTING',
  /** A fetched extension file's SHA-256 or size differs from the signed listing: nothing was installed. */
  extendHash: 'ERR_MINION_EXTEND_HASH',
  /** A config file or flag that does not validate; the minion refuses to start. */
  config: 'ERR_MINION_CONFIG',
  /** The minion's private key file can be read by others; the minion refuses to start. */
  keyPermissions: 'ERR_MINION_KEY_PERMISSIONS',
  /** Any other failure at start; the bin logs it and exits. */
  start: 'ERR_MINION_START',
  /** A call that needs the master (pillar, mine, events, `brine://` files) where there is none. */
  noMaster: 'ERR_MINION_NO_MASTER',
  /** The connection to the master dropped (or was not up) during a request to it. */
  disconnected: 'ERR_MINION_DISCONNECTED',
  /** The master did not answer a pillar or mine request in time. */
  masterTimeout: 'ERR_MINION_MASTER_TIMEOUT',
  /** The master did not answer a file request in time. */
  fileTimeout: 'ERR_MINION_FILE_TIMEOUT',
  /** A file received from the master does not match the hash the master sent. */
  fileHash: 'ERR_MINION_FILE_HASH',
  /** A local pillar (`brine-call --local`) that does not render; `file:line` in the message. */
  pillar: 'ERR_MINION_PILLAR',
  /** `pillar.keys` on a key whose value is not a mapping. */
  pillarNotAMapping: 'ERR_PILLAR_NOT_A_MAPPING',
  /** A template of a state run called `state.*` (a run inside a run). */
  stateNested: 'ERR_MINION_STATE_NESTED',
  /** `schedule.*` where the minion runs no schedule (`brine-call --local`). */
  noSchedule: 'ERR_MINION_NO_SCHEDULE',
} as const;

/** One of the codes in {@link MinionErrorCode}. */
export type MinionErrorCodeValue = (typeof MinionErrorCode)[keyof typeof MinionErrorCode];

declare const forwarded: unique symbol;

/** A code another component gave (a function's result, the master's answer), passed on as it came. */
export type ForwardedCode = string & { readonly [forwarded]: true };

/** Marks a code from elsewhere (a wire error, a function's result) as one a {@link MinionError} passes on. */
export function forwardedCode(code: string): ForwardedCode {
  return code as ForwardedCode;
}

/** A code a {@link MinionError} accepts: the minion's, the protocol's, the state engine's, or a forwarded one. */
export type MinionErrorCodeLike = MinionErrorCodeValue | ErrorCodeValue | StateErrorCodeValue | ForwardedCode;

/** Base class for minion errors; `code` is stable, `message` is for people, `data` is optional detail. */
export class MinionError extends Error {
  readonly code: string;
  readonly data?: unknown;

  /** Makes an error with a code from a table; `options.cause` keeps the error behind it. */
  constructor(code: MinionErrorCodeLike, message: string, data?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MinionError';
    this.code = code;
    if (data !== undefined) this.data = data;
  }

  /** The error as data, for the wire: never the stack. */
  toWire(): { code: string; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** A program could not be started (not found, not executable, bad cwd, no permission to switch user). */
export class SpawnFailedError extends MinionError {
  constructor(message: string, data?: unknown) {
    super(MinionErrorCode.spawnFailed, message, data);
    this.name = 'SpawnFailedError';
  }
}

/** The job was cancelled (its abort signal fired) before or while the work ran. */
export class CancelledError extends MinionError {
  constructor(message = 'the job was cancelled') {
    super(MinionErrorCode.cancelled, message);
    this.name = 'CancelledError';
  }
}

/** A user name or id that this host does not know (`runas`, `file.chown`). */
export class UserUnknownError extends MinionError {
  constructor(user: string) {
    super(MinionErrorCode.userUnknown, `user ${JSON.stringify(user)} does not exist on this host`);
    this.name = 'UserUnknownError';
  }
}

/** A group name that this host does not know (`file.chown`). */
export class GroupUnknownError extends MinionError {
  constructor(group: string) {
    super(MinionErrorCode.groupUnknown, `group ${JSON.stringify(group)} does not exist on this host`);
    this.name = 'GroupUnknownError';
  }
}

/** A file or directory that does not exist. */
export class FileNotFoundError extends MinionError {
  constructor(path: string) {
    super(MinionErrorCode.fileNotFound, `${path}: no such file or directory`);
    this.name = 'FileNotFoundError';
  }
}

/** Permission denied on a file operation. */
export class FileAccessError extends MinionError {
  constructor(path: string) {
    super(MinionErrorCode.fileAccess, `${path}: permission denied`);
    this.name = 'FileAccessError';
  }
}

/** A file where a directory was expected, or the other way round. */
export class FileTypeError extends MinionError {
  constructor(path: string, detail: string) {
    super(MinionErrorCode.fileType, `${path}: ${detail}`);
    this.name = 'FileTypeError';
  }
}

/** A file too large to return in a job result. */
export class FileTooLargeError extends MinionError {
  constructor(path: string, size: number, limit: number) {
    super(MinionErrorCode.fileTooLarge, `${path}: ${size} bytes is more than the ${limit}-byte limit`, { size, limit });
    this.name = 'FileTooLargeError';
  }
}

/** Any other file-system failure; `data.errno` holds the system code (`EIO`, `ENOSPC`, ...). */
export class FileIoError extends MinionError {
  constructor(path: string, errno: string, detail: string) {
    super(MinionErrorCode.fileIo, `${path}: ${detail}`, { errno });
    this.name = 'FileIoError';
  }
}

/** A path the minion refuses to act on: `/` for `file.remove`, or a name escaping its directory. */
export class PathRefusedError extends MinionError {
  constructor(path: string, reason: string) {
    super(MinionErrorCode.pathRefused, `${path}: ${reason}`);
    this.name = 'PathRefusedError';
  }
}

/** The host has no apt-get/dpkg on its PATH, so `pkg.*` cannot work here. */
export class PkgUnavailableError extends MinionError {
  constructor(missing: string) {
    super(MinionErrorCode.pkgUnavailable, `pkg functions need apt-get and dpkg-query; ${missing} is not on PATH`);
    this.name = 'PkgUnavailableError';
  }
}

/** systemd is not running (no `/run/systemd/system`) or systemctl is missing, so `service.*` cannot work. */
export class ServiceUnavailableError extends MinionError {
  constructor(detail: string) {
    super(MinionErrorCode.serviceUnavailable, `service functions need a running systemd: ${detail}`);
    this.name = 'ServiceUnavailableError';
  }
}

/** A helper program (apt-get, systemctl, ...) exited non-zero; `data` holds its retcode and stderr. */
export class CommandFailedError extends MinionError {
  constructor(program: string, retcode: number, stderr: string) {
    const detail = stderr.trim().split('\n').slice(-3).join('\n');
    super(MinionErrorCode.commandFailed, `${program} exited with ${retcode}: ${detail}`, { retcode, stderr });
    this.name = 'CommandFailedError';
  }
}
