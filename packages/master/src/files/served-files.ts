import { COMPILED_PREFIX } from './extend-compiler.js';
import { FileServer } from './file-server.js';

/** What the minion transport serves: a chunk of a file, and listings. */
export type ServedFiles = Pick<FileServer, 'read' | 'list'>;

/**
 * The files minions may fetch: the file roots, plus compiled extensions under `_compiled/` from
 * their own root (issue #21). Compiled files are served only by that prefix and never listed, so
 * `cp.list_master` and `cp.get_dir` show the file roots as the operator wrote them, and no file
 * root can shadow a compiled file.
 */
export function servedFiles(roots: readonly string[], compiledRoot: string): ServedFiles {
  const plain = new FileServer(roots);
  const compiled = new FileServer([compiledRoot]);
  return {
    read: (path, offset) => (path.startsWith(`${COMPILED_PREFIX}/`) ? compiled : plain).read(path, offset),
    list: (prefix) => plain.list(prefix),
  };
}
