/**
 * The minion's errors: small classes with stable `ERR_MINION_*` codes. The executor turns a thrown
 * error into `{code, message}` for the job's return; tests assert the code, not the text.
 */

/** Base class for minion errors; `code` is stable, `message` is for people, `data` is optional detail. */
export class MinionError extends Error {
  readonly code: string;
  readonly data?: unknown;

  constructor(code: string, message: string, data?: unknown) {
    super(message);
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
    super('ERR_MINION_SPAWN_FAILED', message, data);
    this.name = 'SpawnFailedError';
  }
}

/** The job was cancelled (its abort signal fired) before or while the work ran. */
export class CancelledError extends MinionError {
  constructor(message = 'the job was cancelled') {
    super('ERR_MINION_CANCELLED', message);
    this.name = 'CancelledError';
  }
}

/** A user name or id that this host does not know (`runas`, `file.chown`). */
export class UserUnknownError extends MinionError {
  constructor(user: string) {
    super('ERR_MINION_USER_UNKNOWN', `user ${JSON.stringify(user)} does not exist on this host`);
    this.name = 'UserUnknownError';
  }
}

/** A group name that this host does not know (`file.chown`). */
export class GroupUnknownError extends MinionError {
  constructor(group: string) {
    super('ERR_MINION_GROUP_UNKNOWN', `group ${JSON.stringify(group)} does not exist on this host`);
    this.name = 'GroupUnknownError';
  }
}

/** A file or directory that does not exist. */
export class FileNotFoundError extends MinionError {
  constructor(path: string) {
    super('ERR_MINION_FILE_NOT_FOUND', `${path}: no such file or directory`);
    this.name = 'FileNotFoundError';
  }
}

/** Permission denied on a file operation. */
export class FileAccessError extends MinionError {
  constructor(path: string) {
    super('ERR_MINION_FILE_ACCESS', `${path}: permission denied`);
    this.name = 'FileAccessError';
  }
}

/** A file where a directory was expected, or the other way round. */
export class FileTypeError extends MinionError {
  constructor(path: string, detail: string) {
    super('ERR_MINION_FILE_TYPE', `${path}: ${detail}`);
    this.name = 'FileTypeError';
  }
}

/** A file too large to return in a job result. */
export class FileTooLargeError extends MinionError {
  constructor(path: string, size: number, limit: number) {
    super('ERR_MINION_FILE_TOO_LARGE', `${path}: ${size} bytes is more than the ${limit}-byte limit`, { size, limit });
    this.name = 'FileTooLargeError';
  }
}

/** Any other file-system failure; `data.errno` holds the system code (`EIO`, `ENOSPC`, ...). */
export class FileIoError extends MinionError {
  constructor(path: string, errno: string, detail: string) {
    super('ERR_MINION_FILE_IO', `${path}: ${detail}`, { errno });
    this.name = 'FileIoError';
  }
}

/** A path the minion refuses to act on: `/` for `file.remove`, or a name escaping its directory. */
export class PathRefusedError extends MinionError {
  constructor(path: string, reason: string) {
    super('ERR_MINION_PATH_REFUSED', `${path}: ${reason}`);
    this.name = 'PathRefusedError';
  }
}

/** The host has no apt-get/dpkg on its PATH, so `pkg.*` cannot work here. */
export class PkgUnavailableError extends MinionError {
  constructor(missing: string) {
    super('ERR_MINION_PKG_UNAVAILABLE', `pkg functions need apt-get and dpkg-query; ${missing} is not on PATH`);
    this.name = 'PkgUnavailableError';
  }
}

/** systemd is not running (no `/run/systemd/system`) or systemctl is missing, so `service.*` cannot work. */
export class ServiceUnavailableError extends MinionError {
  constructor(detail: string) {
    super('ERR_MINION_SERVICE_UNAVAILABLE', `service functions need a running systemd: ${detail}`);
    this.name = 'ServiceUnavailableError';
  }
}

/** A helper program (apt-get, systemctl, ...) exited non-zero; `data` holds its retcode and stderr. */
export class CommandFailedError extends MinionError {
  constructor(program: string, retcode: number, stderr: string) {
    const detail = stderr.trim().split('\n').slice(-3).join('\n');
    super('ERR_MINION_COMMAND_FAILED', `${program} exited with ${retcode}: ${detail}`, { retcode, stderr });
    this.name = 'CommandFailedError';
  }
}
