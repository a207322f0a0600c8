import { z } from 'zod';
import { MinionError, MinionErrorCode } from '../errors.js';
import { defineFunction, type ModuleContext, type ModuleFunction } from './types.js';

type Dict = Record<string, unknown>;

/**
 * `pillar='{"k": "v"}'`: data merged over the compiled pillar for this call only. The master lets
 * such a job through only for users with `@pillar_override`; a string is read as JSON.
 */
const override = z
  .union([z.record(z.string(), z.unknown()), z.string()])
  .optional()
  .transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    try {
      const parsed: unknown = JSON.parse(v);
      if (isDict(parsed)) return parsed;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'pillar overrides are a mapping (JSON)' });
    return z.NEVER;
  });

const KEY = z.string().min(1).max(1024);

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of `a` with `b` merged in recursively (Salt's `dictupdate.update`), lists optionally joined. */
function merged(a: Dict, b: Dict, mergeLists = false): Dict {
  const out: Dict = structuredClone(a);
  const walk = (dest: Dict, upd: Dict): void => {
    for (const [k, v] of Object.entries(upd)) {
      const cur = Object.hasOwn(dest, k) ? dest[k] : undefined;
      let next: unknown = structuredClone(v);
      if (isDict(cur) && isDict(v)) {
        walk(cur, v);
        continue;
      }
      if (mergeLists && Array.isArray(cur) && Array.isArray(v))
        next = [...cur, ...v.filter((x) => !cur.some((c) => JSON.stringify(c) === JSON.stringify(x)))];
      Object.defineProperty(dest, k, { value: next, enumerable: true, writable: true, configurable: true });
    }
  };
  walk(out, b);
  return out;
}

/** Salt's `traverse_dict_and_list`: maps by key, lists by index or the first map holding the key. */
export function traverse(data: unknown, key: string, fallback: unknown, delimiter = ':'): unknown {
  let ptr = data;
  for (const step of key.split(delimiter)) {
    if (Array.isArray(ptr)) {
      const owner = ptr.find((x) => isDict(x) && Object.hasOwn(x, step)) as Dict | undefined;
      if (owner !== undefined) ptr = owner[step];
      else if (/^-?\d+$/.test(step) && Math.abs(Number(step)) < ptr.length + (Number(step) < 0 ? 1 : 0))
        ptr = ptr.at(Number(step));
      else return fallback;
    } else if (isDict(ptr) && Object.hasOwn(ptr, step)) ptr = ptr[step];
    else return fallback;
  }
  return ptr;
}

async function fresh(ctx: ModuleContext, extra: Dict | undefined): Promise<Dict> {
  const pillar = await ctx.pillar.refresh();
  return extra === undefined ? pillar : merged(pillar, extra);
}

const items = defineFunction({
  name: 'pillar.items',
  doc: `Returns this minion's whole pillar, compiled afresh by the master for this minion alone. With
key names, only those keys. A pillar that did not compile fails with the master's error (file:line).
\`pillar='{...}'\` merges data over it for this call (needs @pillar_override on the master).

CLI Example:

    brine '*' pillar.items
    brine '*' pillar.items role users`,
  params: [],
  rest: 'keys',
  schema: z.object({ keys: z.array(KEY).default([]), pillar: override }),
  run: async ({ keys, pillar }, ctx) => {
    const all = await fresh(ctx, pillar);
    if (keys.length === 0) return { ret: all };
    return { ret: Object.fromEntries(keys.filter((k) => Object.hasOwn(all, k)).map((k) => [k, all[k]])) };
  },
});

const get = defineFunction({
  name: 'pillar.get',
  doc: `Returns one pillar value, nested keys joined by ":" (\`a:b:c\`; list items by index), or
\`default\` (empty string). With \`merge=True\` and a mapping (or list) default, the value found is
merged over the default, as Salt's pillar.get.

CLI Example:

    brine '*' pillar.get pkg:apache
    brine '*' pillar.get users default='{}' merge=True`,
  params: ['key', 'default'],
  schema: z.object({
    key: KEY,
    default: z.unknown().default(''),
    merge: z.boolean().default(false),
    merge_nested_lists: z.boolean().default(false),
    delimiter: z.string().min(1).max(8).default(':'),
    pillar: override,
  }),
  run: async (a, ctx) => {
    const pillar = a.pillar === undefined ? await ctx.pillar.items() : merged(await ctx.pillar.items(), a.pillar);
    if (a.merge && isDict(a.default)) {
      const found = traverse(pillar, a.key, {}, a.delimiter);
      if (isDict(found)) return { ret: merged(a.default, found, a.merge_nested_lists) };
    } else if (a.merge && Array.isArray(a.default)) {
      const found = traverse(pillar, a.key, [], a.delimiter);
      if (Array.isArray(found)) {
        const out = structuredClone(a.default);
        for (const x of found) if (!out.some((y) => JSON.stringify(y) === JSON.stringify(x))) out.push(x);
        return { ret: out };
      }
    }
    return { ret: traverse(pillar, a.key, a.default, a.delimiter) };
  },
});

const item = defineFunction({
  name: 'pillar.item',
  doc: `Returns the named pillar keys as a mapping (nested keys by ":"); a missing key maps to "".

CLI Example:

    brine '*' pillar.item role pkg:apache`,
  params: [],
  rest: 'keys',
  schema: z.object({ keys: z.array(KEY).min(1), default: z.unknown().default('') }),
  run: async ({ keys, default: fallback }, ctx) => {
    const pillar = await ctx.pillar.items();
    return { ret: Object.fromEntries(keys.map((k) => [k, traverse(pillar, k, fallback)])) };
  },
});

const raw = defineFunction({
  name: 'pillar.raw',
  doc: `Returns the pillar this minion holds now (the master's last push), without asking the master
to compile it again; with \`key\`, that top-level key.

CLI Example:

    brine '*' pillar.raw
    brine '*' pillar.raw key=role`,
  params: ['key'],
  schema: z.object({ key: KEY.optional() }),
  run: async ({ key }, ctx) => {
    const pillar = await ctx.pillar.items();
    return { ret: key === undefined ? pillar : (pillar[key] ?? {}) };
  },
});

const keys = defineFunction({
  name: 'pillar.keys',
  doc: `Returns the keys of the mapping at a pillar key (nested by ":"). Fails when there is no mapping there.

CLI Example:

    brine '*' pillar.keys users`,
  params: ['key'],
  schema: z.object({ key: KEY, delimiter: z.string().min(1).max(8).default(':') }),
  run: async ({ key, delimiter }, ctx) => {
    const found = traverse(await ctx.pillar.items(), key, undefined, delimiter);
    if (!isDict(found))
      throw new MinionError(MinionErrorCode.pillarNotAMapping, `pillar value of key '${key}' is not a mapping`);
    return { ret: Object.keys(found) };
  },
});

const ls = defineFunction({
  name: 'pillar.ls',
  doc: `Lists the top-level pillar keys, compiled afresh by the master.

CLI Example:

    brine '*' pillar.ls`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => ({ ret: Object.keys(await ctx.pillar.refresh()) }),
});

/** The `pillar.*` functions: items, get, item, raw, keys, ls. */
export const pillarFunctions: readonly ModuleFunction[] = [items, get, item, raw, keys, ls];
