import { absent, directory } from './file-directory.js';
import { append, replace } from './file-edit.js';
import { copy, symlink, touch } from './file-link.js';
import { line } from './file-line.js';
import { managed } from './file-managed.js';
import { recurse } from './file-recurse.js';
import type { StateFunction } from './types.js';

/** The `file.*` state functions. */
export const fileStates: readonly StateFunction[] = [
  managed,
  directory,
  absent,
  symlink,
  append,
  replace,
  line,
  recurse,
  touch,
  copy,
];
