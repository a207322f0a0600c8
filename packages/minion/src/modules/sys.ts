import { globMatch } from '@brine/protocol';
import { z } from 'zod';
import { defineFunction, type ModuleFunction } from './types.js';

const pattern = z.string().min(1).max(256);

const listFunctions = defineFunction({
  name: 'sys.list_functions',
  doc: `Lists the functions this minion has, optionally only those of the given modules. A pattern
without "." matches module names (cmd, c*); with "." it matches function names (cmd.run*).

CLI Example:

    brine '*' sys.list_functions
    brine '*' sys.list_functions cmd file.*`,
  params: [],
  rest: 'modules',
  schema: z.object({ modules: z.array(pattern).default([]) }),
  run: async ({ modules }, ctx) => ({ ret: matching([...ctx.registry.keys()], modules) }),
});

const listModules = defineFunction({
  name: 'sys.list_modules',
  doc: `Lists the modules this minion has.

CLI Example:

    brine '*' sys.list_modules`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => ({
    ret: [...new Set([...ctx.registry.keys()].map((name) => name.split('.')[0]!))].sort(),
  }),
});

const doc = defineFunction({
  name: 'sys.doc',
  doc: `Returns the documentation of functions as {name: doc}: one function, every function of a
module, a glob, or with no argument all of them.

CLI Example:

    brine '*' sys.doc cmd.run
    brine '*' sys.doc file`,
  params: [],
  rest: 'names',
  schema: z.object({ names: z.array(pattern).default([]) }),
  run: async ({ names }, ctx) => {
    const found = matching([...ctx.registry.keys()], names);
    return { ret: Object.fromEntries(found.map((name) => [name, ctx.registry.get(name)!.doc])) };
  },
});

/** Sorted function names matching any pattern (all when there is none), per `sys.list_functions`. */
function matching(names: string[], patterns: readonly string[]): string[] {
  const hits = names.filter(
    (name) =>
      patterns.length === 0 ||
      patterns.some((p) => (p.includes('.') ? globMatch(p, name) : globMatch(p, name.split('.')[0]!))),
  );
  return hits.sort();
}

/** The `sys.*` functions: list_functions, list_modules, doc. */
export const sysFunctions: readonly ModuleFunction[] = [listFunctions, listModules, doc];
