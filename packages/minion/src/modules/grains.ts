import { grainAt } from '@brine/protocol';
import { z } from 'zod';
import { defineModule, fn, moduleFunctions, type ModuleFunction } from './types.js';

const GRAIN_KEY = z.string().min(1).max(256);

/**
 * The `grains` module (items, item, get, setval), written with the authoring API that custom modules use
 * (`@brine/extend`): a custom `_modules/grains.ts` may add to it or replace it.
 */
export const grainsModule = defineModule({
  name: 'grains',
  functions: {
    items: fn({
      doc: `Returns all grains.

CLI Example:

    brine '*' grains.items`,
      params: [],
      schema: z.object({}),
      run: async (_input, ctx) => ({ ret: ctx.grains.all() }),
    }),
    item: fn({
      doc: `Returns the named grains as a mapping; nested keys use ":" (ip4_interfaces:eth0). A missing
grain maps to an empty string, as in Salt.

CLI Example:

    brine '*' grains.item os osrelease ip4_interfaces:eth0`,
      params: [],
      rest: 'keys',
      schema: z.object({ keys: z.array(GRAIN_KEY).min(1) }),
      run: async ({ keys }, ctx) => {
        const grains = ctx.grains.all();
        return { ret: Object.fromEntries(keys.map((k) => [k, grainAt(grains, k.split(':')) ?? ''])) };
      },
    }),
    get: fn({
      doc: `Returns one grain, nested keys joined by ":", or \`default\` (empty string) when it is missing.

CLI Example:

    brine '*' grains.get os_family
    brine '*' grains.get ip4_interfaces:eth0 default='[]'`,
      params: ['key', 'default'],
      schema: z.object({ key: GRAIN_KEY, default: z.unknown().default('') }),
      run: async ({ key, default: fallback }, ctx) => ({ ret: grainAt(ctx.grains.all(), key.split(':')) ?? fallback }),
    }),
    setval: fn({
      doc: `Sets a custom grain, saves it on the minion and tells the master. Returns {key: value}.

CLI Example:

    brine 'web*' grains.setval role webserver`,
      params: ['key', 'val'],
      schema: z.object({
        key: GRAIN_KEY.regex(/^[A-Za-z0-9_.-]+$/, 'must be a plain grain name'),
        val: z.unknown().refine((v) => v !== undefined, 'is required'),
      }),
      run: async ({ key, val }, ctx) => {
        await ctx.grains.setValue(key, val);
        return { ret: { [key]: val } };
      },
    }),
  },
});

/** The `grains.*` functions as registry entries. */
export const grainsFunctions: readonly ModuleFunction[] = moduleFunctions(grainsModule);
