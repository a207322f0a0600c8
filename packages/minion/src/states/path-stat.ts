import { lstatSync, statSync, type Stats } from 'node:fs';

/*
 * File states ask the filesystem a few questions per state (does it exist, what mode, what
 * owner), each a syscall of microseconds on a local path. Through fs/promises each answer took
 * two thread hand-offs (to libuv's pool and back), which on a loaded host cost more than the
 * syscall: a 300-state run spent most of its wall time waiting for them (issue #17). These
 * single-path calls are therefore synchronous; reading and writing contents stay as they are.
 */

/** `stat` of a path (following a symlink), or undefined when it cannot be had (missing, no access). */
export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** `lstat` of a path (a symlink itself), or undefined when it cannot be had. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
