import { deepCopy, dictUpdate, isMapping } from './data.js';
import { fnmatch } from './fnmatch.js';

/** Options of {@link filterBy}, as the keyword arguments of Salt's `grains.filter_by`. */
export interface FilterByOptions {
  /** A mapping merged over the result (a pillar override). */
  merge?: unknown;
  /** The key used when nothing matches. @default 'default' */
  default?: string;
  /** A key whose value the result is merged over. */
  base?: string;
}

/**
 * Picks the entry of `lookup` whose key matches `value` (a grain's value; each item if it is a
 * list) as a shell glob, as `salt.utils.data.filter_by` does: the first key that matches wins;
 * else the `default` key; then the match is merged over `base` and `merge` over the result.
 * Returns `null` when nothing matches and there is no default. Throws when `merge` or `base`
 * meet a value that is not a mapping, as Salt does.
 */
export function filterBy(
  lookup: Readonly<Record<string, unknown>>,
  value: unknown,
  options: FilterByOptions = {},
): unknown {
  let ret: unknown = null;
  const values = Array.isArray(value) ? value : [value];
  outer: for (const each of values) {
    for (const key of Object.keys(lookup)) {
      if (fnmatch(String(each), key)) {
        ret = lookup[key] ?? null;
        if (ret !== null) break outer;
      }
    }
  }
  if (ret === null) ret = lookup[options.default ?? 'default'] ?? null;
  if (options.base !== undefined && Object.hasOwn(lookup, options.base)) {
    const base = lookup[options.base];
    if (ret === null) ret = base;
    else if (isMapping(base)) {
      if (!isMapping(ret)) throw new Error('filter_by default and look-up values must both be dictionaries.');
      ret = dictUpdate(deepCopy(base), ret);
    }
  }
  if (options.merge !== undefined && options.merge !== null) {
    if (!isMapping(options.merge)) throw new Error('filter_by merge argument must be a dictionary.');
    if (ret === null) ret = options.merge;
    else if (isMapping(ret)) dictUpdate(ret, deepCopy(options.merge));
  }
  return ret;
}
