/** How pillar sources merge, as Salt's `pillar_source_merging_strategy`. */
export const MergeStrategy = {
  smart: 'smart',
  recurse: 'recurse',
  overwrite: 'overwrite',
  none: 'none',
} as const;
/** One of {@link MergeStrategy}. */
export type MergeStrategyValue = (typeof MergeStrategy)[keyof typeof MergeStrategy];

/** Options of {@link mergePillar}. */
export interface MergeOptions {
  /** @default 'smart' */
  strategy?: MergeStrategyValue;
  /** Salt's `pillar_merge_lists`: lists under the same key are concatenated, without repeats. @default false */
  mergeLists?: boolean;
}

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * Merges pillar `b` over `a` into a new object, as Salt's `salt.utils.dictupdate.merge`: `smart`
 * (Salt's default; `recurse` for YAML, the only renderer here), `recurse` (mappings merge key by
 * key, anything else from `b` replaces), `overwrite` (a top-level key of `b` replaces `a`'s whole
 * value) and `none` (recurse: with it, Salt merges no other saltenv, which the compiler decides).
 * Neither input is changed. Keys are set as own properties, so `__proto__` is plain data.
 */
export function mergePillar(a: Readonly<Dict>, b: Readonly<Dict>, options: MergeOptions = {}): Dict {
  const mergeLists = options.mergeLists ?? false;
  const base = copy(a);
  if (options.strategy === 'overwrite')
    for (const key of Object.keys(b)) if (Object.hasOwn(base, key)) set(base, key, undefined);
  return update(base, b, mergeLists);
}

/** Salt's `dictupdate.update` on a private copy: `dest` is changed and returned. */
function update(dest: Dict, upd: Readonly<Dict>, mergeLists: boolean): Dict {
  for (const key of Object.keys(upd)) {
    const value = upd[key];
    const current = Object.hasOwn(dest, key) ? dest[key] : undefined;
    if (isDict(current) && isDict(value)) update(current, value, mergeLists);
    else if (mergeLists && Array.isArray(current) && Array.isArray(value)) {
      const merged = [...current];
      for (const item of value) if (!merged.some((m) => sameData(m, item))) merged.push(copy(item));
      set(dest, key, merged);
    } else set(dest, key, copy(value));
  }
  return dest;
}

function set(dest: Dict, key: string, value: unknown): void {
  Object.defineProperty(dest, key, { value, enumerable: true, writable: true, configurable: true });
}

function copy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copy) as T;
  if (isDict(value)) {
    const out: Dict = {};
    for (const key of Object.keys(value)) set(out, key, copy(value[key]));
    return out as T;
  }
  return value;
}

/** Python's `==` on plain data, for `pillar_merge_lists`' "not already in the list". */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
