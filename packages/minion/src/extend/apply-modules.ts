import type { ModuleDefinition, ModuleFunction } from '../modules/types.js';
import { moduleFunctions } from '../modules/types.js';
import type { StateFunction, StateModuleDefinition } from '../states/types.js';
import { stateModuleFunctions } from '../states/types.js';

/** Module names a custom module may not add to or replace: the functions that repair a minion. */
export const RESERVED_MODULES = new Set(['saltutil', 'sys']);

const moduleOf = (name: string) => name.slice(0, name.indexOf('.'));

/**
 * The registry that results from laying custom modules over the built-ins, by the documented
 * rule: modules apply in name order; `replace: true` first drops every function of that module
 * name, then each function of the custom module is set, replacing a same-named one. A reserved
 * module name is refused and reported in `refused`.
 */
export function layerModules(
  builtins: ReadonlyMap<string, ModuleFunction>,
  custom: readonly ModuleDefinition[],
  wrap: (fn: ModuleFunction, def: ModuleDefinition) => ModuleFunction,
): { registry: Map<string, ModuleFunction>; refused: { name: string; reason: string }[] } {
  const registry = new Map(builtins);
  const refused: { name: string; reason: string }[] = [];
  for (const def of [...custom].sort((a, b) => a.name.localeCompare(b.name))) {
    if (RESERVED_MODULES.has(def.name)) {
      refused.push({ name: def.name, reason: `the ${def.name} module cannot be overridden` });
      continue;
    }
    if (def.replace) for (const name of [...registry.keys()]) if (moduleOf(name) === def.name) registry.delete(name);
    for (const fn of moduleFunctions(def)) registry.set(fn.name, wrap(fn, def));
  }
  return { registry, refused };
}

/** The same rule for state modules (no reserved names: states repair nothing). */
export function layerStates(
  builtins: ReadonlyMap<string, StateFunction>,
  custom: readonly StateModuleDefinition[],
): Map<string, StateFunction> {
  const registry = new Map(builtins);
  for (const def of [...custom].sort((a, b) => a.name.localeCompare(b.name))) {
    if (def.replace) for (const name of [...registry.keys()]) if (moduleOf(name) === def.name) registry.delete(name);
    for (const fn of stateModuleFunctions(def)) registry.set(fn.name, fn);
  }
  return registry;
}

/** Replaces a live map's contents in one synchronous step: no caller ever sees half of it. */
export function swapContents<V>(live: Map<string, V>, next: ReadonlyMap<string, V>): void {
  live.clear();
  for (const [k, v] of next) live.set(k, v);
}
