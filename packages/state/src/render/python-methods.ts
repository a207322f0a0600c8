/*
 * Python's str, list and dict methods that Salt formulas call in Jinja (`tpldir.split('/')`,
 * `grains['os'].lower()`, `'{0}.conf'.format(name)`, `mydict.update(...)`), for nunjucks'
 * member lookup. nunjucks' own `installJinjaCompat` covers most dict and list methods; these
 * fill the rest, with Python's meaning where JavaScript has a method of the same name.
 */

type Method = (this: never, ...args: unknown[]) => unknown;

function withoutKeywords(args: unknown[]): unknown[] {
  const last = args.at(-1);
  if (typeof last === 'object' && last !== null && (last as { __keywords?: unknown }).__keywords === true) {
    const rest = { ...(last as Record<string, unknown>) };
    delete rest['__keywords'];
    return [...args.slice(0, -1), rest];
  }
  return args;
}

function pySplit(s: string, sep: unknown, maxsplit: unknown): string[] {
  const max = typeof maxsplit === 'number' && maxsplit >= 0 ? maxsplit : Infinity;
  if (sep === undefined || sep === null) {
    const parts: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '' && parts.length < max) {
      const m = /\s+/.exec(rest);
      if (m === null) break;
      parts.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    if (rest !== '') parts.push(parts.length < max ? rest : rest.replace(/\s+$/, ''));
    return parts;
  }
  const all = s.split(String(sep));
  if (all.length - 1 <= max) return all;
  return [...all.slice(0, max), all.slice(max).join(String(sep))];
}

function pyStrip(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = typeof chars === 'string' ? chars : ' \t\n\r\v\f';
  let a = 0;
  let b = s.length;
  while (left && a < b && set.includes(s[a]!)) a++;
  while (right && b > a && set.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

function pyFormat(s: string, args: unknown[]): string {
  const positional = withoutKeywords(args);
  const last = positional.at(-1);
  const named = args.length > 0 && last !== args.at(-1) ? (last as Record<string, unknown>) : {};
  let auto = 0;
  return s.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const name = (field ?? '').split(/[!:]/)[0]!;
    const value = name === '' ? positional[auto++] : /^\d+$/.test(name) ? positional[Number(name)] : named[name];
    return value === undefined || value === null ? String(value ?? 'None') : String(value);
  });
}

/** Python `str` methods, bound to the string they are looked up on. */
export const STRING_METHODS: Readonly<Record<string, (s: string, args: unknown[]) => unknown>> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  capitalize: (s) => (s === '' ? s : s[0]!.toUpperCase() + s.slice(1).toLowerCase()),
  startswith: (s, [p]) => (Array.isArray(p) ? p.some((x) => s.startsWith(String(x))) : s.startsWith(String(p))),
  endswith: (s, [p]) => (Array.isArray(p) ? p.some((x) => s.endsWith(String(x))) : s.endsWith(String(p))),
  strip: (s, [c]) => pyStrip(s, c, true, true),
  lstrip: (s, [c]) => pyStrip(s, c, true, false),
  rstrip: (s, [c]) => pyStrip(s, c, false, true),
  split: (s, [sep, max]) => pySplit(s, sep, max),
  rsplit: (s, [sep, max]) => {
    if (typeof max !== 'number' || max < 0 || sep === undefined || sep === null) return pySplit(s, sep, max);
    const all = s.split(String(sep));
    if (all.length - 1 <= max) return all;
    return [all.slice(0, all.length - max).join(String(sep)), ...all.slice(all.length - max)];
  },
  splitlines: (s) => s.split(/\r\n|\r|\n/).filter((_, i, a) => i < a.length - 1 || a[i] !== ''),
  replace: (s, [a, b]) => s.split(String(a)).join(String(b)),
  format: (s, args) => pyFormat(s, args),
  join: (s, [items]) => (Array.isArray(items) ? items.map(String).join(s) : ''),
  find: (s, [sub]) => s.indexOf(String(sub)),
  count: (s, [sub]) => s.split(String(sub)).length - 1,
  isdigit: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^[A-Za-z]+$/.test(s),
  zfill: (s, [w]) => s.padStart(Number(w), '0'),
};

/** Python `list` and `dict` methods that nunjucks' Jinja compatibility lacks. */
export const COLLECTION_METHODS: Readonly<Record<string, (target: object, args: unknown[]) => unknown>> = {
  extend: (target, [items]) => {
    if (Array.isArray(target) && Array.isArray(items)) target.push(...(items as unknown[]));
    return null;
  },
  update: (target, args) => {
    for (const arg of withoutKeywords(args)) if (typeof arg === 'object' && arg !== null) Object.assign(target, arg);
    return null;
  },
  copy: (target) => (Array.isArray(target) ? [...(target as unknown[])] : { ...target }),
};

/** The bound Python method `name` of `target`, or undefined when there is none. */
export function pythonMethod(target: unknown, name: unknown): Method | undefined {
  if (typeof name !== 'string') return undefined;
  if (typeof target === 'string' && Object.hasOwn(STRING_METHODS, name)) {
    const fn = STRING_METHODS[name]!;
    return (...args: unknown[]) => fn(target, args);
  }
  if (typeof target === 'object' && target !== null && Object.hasOwn(COLLECTION_METHODS, name)) {
    if (name === 'extend' && !Array.isArray(target)) return undefined;
    if (name === 'update' && Array.isArray(target)) return undefined;
    const fn = COLLECTION_METHODS[name]!;
    return (...args: unknown[]) => fn(target, args);
  }
  return undefined;
}
