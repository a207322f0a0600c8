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
import type { z } from 'zod';
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

/**
 * Salt's keywords that any state may carry and that the engine, not the state function, acts on
 * (requisites, ordering, `names`, run-time switches). Never reported as unknown.
 */
const GLOBAL_KEYWORDS = new Set([
  'require', 'watch', 'onchanges', 'onfail', 'prereq', 'use', 'listen',
  'require_in', 'watch_in', 'onchanges_in', 'onfail_in', 'prereq_in', 'use_in', 'listen_in',
  'require_any', 'watch_any', 'onchanges_any', 'onfail_any', 'onfail_all',
  'order', 'names', 'failhard', 'parallel', 'retry', 'check_cmd', 'fire_event',
  'reload_modules', 'reload_grains', 'reload_pillar', 'saltenv', 'fun', 'state',
  '__id__', '__sls__', '__env__',
]); // prettier-ignore

/**
 * The arguments of a low state that its function does not take (a typo such as `mdoe`, or a
 * Salt option Brine lacks), so the engine can warn as Salt does instead of dropping them
 * silently. Empty for functions that take any argument (`test.*`, `module.run`).
 */
export function unknownStateArgs(fn: StateFunction, args: Readonly<Record<string, unknown>>): string[] {
  const shape = objectShape(fn.args);
  if (shape === undefined) return [];
  return Object.keys(args).filter((k) => !Object.hasOwn(shape, k) && !GLOBAL_KEYWORDS.has(k));
}

// By definition, not `instanceof`: a custom state module bundles its own zod (issue #21).
function objectShape(schema: z.ZodType): Record<string, unknown> | undefined {
  const def = (schema as { def?: { type?: string; shape?: object; catchall?: { def?: { type?: string } } } }).def;
  if (def?.type !== 'object' || def.shape === undefined) return undefined;
  if (def.catchall !== undefined && def.catchall.def?.type !== 'never') return undefined;
  return def.shape as Record<string, unknown>;
}
