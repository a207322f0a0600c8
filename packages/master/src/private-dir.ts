import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/** What {@link ensurePrivateDir} and {@link ensurePrivateFile} found and did. */
export interface PrivatePath {
  path: string;
  /** The mode found when it was wider than wanted (and has been tightened); absent otherwise. */
  tightenedFrom?: number;
}

/**
 * Makes `dir` (and its parents) with mode 0700, or tightens an existing one that group or others
 * may enter or read to 0700. Tightened rather than refused: the directory is the daemon's own,
 * a wide mode is almost always an old umask or a hand-made `mkdir`, and refusing to start would
 * turn an upgrade into an outage. The caller logs {@link PrivatePath.tightenedFrom} as a warning.
 * Throws (EPERM) only when the directory belongs to someone else and cannot be tightened.
 */
export function ensurePrivateDir(dir: string): PrivatePath {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return tighten(dir, 0o700);
}

/**
 * Makes `file` empty with mode 0600 when it does not exist, or tightens it to 0600: created
 * before a library opens it, so the library never makes it with the process umask (SQLite gives
 * its `-wal` and `-shm` files the mode of the database file).
 */
export function ensurePrivateFile(file: string): PrivatePath {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  return tighten(file, 0o600);
}

function tighten(path: string, mode: number): PrivatePath {
  const found = statSync(path).mode & 0o777;
  if ((found & 0o077) === 0) return { path };
  chmodSync(path, mode);
  return { path, tightenedFrom: found };
}
