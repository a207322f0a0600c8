/**
 * Pure data helpers with Salt's semantics (`salt/utils/data.py`, `salt/utils/dictupdate.py`),
 * shared by the template functions, `filter_by` and pillar code.
 */

/** A plain object (a YAML mapping), not an array or null. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of plain data (mappings, lists, scalars). */
export function deepCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepCopy) as T;
  if (isMapping(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = deepCopy(v);
    return out as T;
  }
  return value;
}

/**
 * Merges `update` into `dest` recursively and returns `dest`, as `salt.utils.dictupdate.update`:
 * mappings merge key by key, anything else replaces (lists too, unless `mergeLists`).
 */
export function dictUpdate(
  dest: Record<string, unknown>,
  update: Readonly<Record<string, unknown>>,
  mergeLists = false,
): Record<string, unknown> {
  for (const [key, value] of Object.entries(update)) {
    const current = dest[key];
    if (isMapping(current) && isMapping(value)) dictUpdate(current, value, mergeLists);
    else if (mergeLists && Array.isArray(current) && Array.isArray(value))
      dest[key] = [...current, ...value.filter((v) => !current.includes(v))];
    else dest[key] = value;
  }
  return dest;
}

/**
 * Walks `data` by a `a:b:0:c` key as `salt.utils.data.traverse_dict_and_list`: mappings by key,
 * lists by index or by the first embedded mapping holding the key. Returns `fallback` when a
 * step is missing.
 */
export function traverse(data: unknown, key: string | readonly string[], fallback: unknown, delimiter = ':'): unknown {
  const steps = typeof key === 'string' ? key.split(delimiter) : key;
  let ptr: unknown = data;
  for (const step of steps) {
    if (Array.isArray(ptr)) {
      const embedded = ptr.find((x) => isMapping(x) && Object.hasOwn(x, step)) as Record<string, unknown> | undefined;
      if (embedded !== undefined) ptr = embedded[step];
      else if (/^-?\d+$/.test(step) && Number(step) < ptr.length) ptr = ptr.at(Number(step));
      else return fallback;
    } else if (isMapping(ptr) && Object.hasOwn(ptr, step)) {
      ptr = ptr[step];
    } else {
      return fallback;
    }
  }
  return ptr;
}
