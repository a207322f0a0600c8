import { archiveStates } from './archive.js';
import { cmdStates } from './cmd.js';
import { cronStates } from './cron.js';
import { fileStates } from './file.js';
import { gitStates } from './git.js';
import { groupStates } from './group.js';
import { moduleStates } from './module.js';
import { pkgStates } from './pkg.js';
import { createServiceStates } from './service.js';
import { testStates } from './test.js';
import type { StateFunction } from './types.js';
import { userStates } from './user.js';

/** Builds the registry of every state function, keyed by `module.function`. Throws on a duplicate name. */
export function createStateRegistry(): Map<string, StateFunction> {
  const registry = new Map<string, StateFunction>();
  const all = [
    ...fileStates,
    ...pkgStates,
    ...createServiceStates(),
    ...cmdStates,
    ...userStates,
    ...groupStates,
    ...cronStates,
    ...archiveStates,
    ...gitStates,
    ...moduleStates,
    ...testStates,
  ];
  for (const fn of all) {
    if (registry.has(fn.name)) throw new Error(`duplicate state function ${fn.name}`);
    registry.set(fn.name, fn);
  }
  return registry;
}
