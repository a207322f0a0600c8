import * as zod from 'zod';

/** The global under which extensions find the minion's zod; the master's compiler writes the same key. */
const HOST_ZOD_KEY = 'brine.extend.zod';

/**
 * Hands synced extensions the minion's own zod: the master compiles `import { z } from 'zod'`
 * into a read of this global, so a custom schema is an instance of the minion's classes and
 * each file stays a few KB (bundling zod made each 760 KB). The namespace is immutable and the
 * same for every minion in the process, so setting it again is harmless.
 */
export function provideHostModules(): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for(HOST_ZOD_KEY)] = zod;
}
