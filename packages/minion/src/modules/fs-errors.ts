import { FileAccessError, FileIoError, FileNotFoundError, FileTypeError, MinionError } from '../errors.js';

/** Turns a Node file-system error into the minion's coded error for `path`; other errors pass through. */
export function toFileError(err: unknown, path: string): Error {
  if (err instanceof MinionError || !(err instanceof Error)) return err as Error;
  const errno = (err as NodeJS.ErrnoException).code;
  switch (errno) {
    case undefined:
      return err;
    case 'ENOENT':
      return new FileNotFoundError(path);
    case 'EACCES':
    case 'EPERM':
      return new FileAccessError(path);
    case 'EISDIR':
      return new FileTypeError(path, 'is a directory');
    case 'ENOTDIR':
      return new FileTypeError(path, 'a component of the path is not a directory');
    default:
      return new FileIoError(path, errno, err.message);
  }
}

/** Runs a file-system call and rethrows its failure as a coded error about `path`. */
export async function withFileErrors<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFileError(err, path);
  }
}
