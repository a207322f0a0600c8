import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

/**
 * Finds an executable on `PATH` (the minion's own, read at call time) without a shell; resolves
 * to its absolute path, or undefined. Relative PATH entries are skipped.
 */
export async function which(program: string, pathEnv = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of pathEnv.split(':')) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here; try the next directory.
    }
  }
  return undefined;
}
