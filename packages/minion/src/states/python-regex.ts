/**
 * Salt's regex arguments are Python's. These helpers map the common forms onto JavaScript:
 * flag names or an `re` flag integer, and `\1`/`\g<1>`/`\g<name>` replacement references.
 */

const FLAG_NAMES: Record<string, string> = { IGNORECASE: 'i', I: 'i', MULTILINE: 'm', M: 'm', DOTALL: 's', S: 's' };
/** Python's `re` flag bits: IGNORECASE 2, MULTILINE 8, DOTALL 16. */
const FLAG_BITS: [number, string][] = [
  [2, 'i'],
  [8, 'm'],
  [16, 's'],
];

/** JavaScript flags for Salt's `flags`: a list of names, an integer of `re` bits, or "ims" letters. */
export function regexFlags(flags: string | readonly string[] | number): string {
  let out: string[];
  if (typeof flags === 'number') out = FLAG_BITS.filter(([bit]) => flags & bit).map(([, f]) => f);
  else if (typeof flags === 'string') out = flags.split('').filter((f) => 'imsu'.includes(f));
  else out = flags.map((f) => FLAG_NAMES[f.toUpperCase()] ?? '').filter((f) => f !== '');
  return [...new Set(out)].join('');
}

/**
 * Expands a Python replacement string for one match, given the arguments String.replace passes
 * a replacer function: `(match, ...groups, offset, input, namedGroups?)`.
 */
export function pythonReplacer(repl: string, args: readonly unknown[]): string {
  const last = args[args.length - 1];
  const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
  const groupCount = args.length - (named ? 4 : 3);
  const group = (ref: string): string => {
    if (/^\d+$/.test(ref)) {
      const i = Number(ref);
      return i <= groupCount ? String(args[i] ?? '') : '';
    }
    return named?.[ref] ?? '';
  };
  return repl.replace(/\\(?:g<([^>]+)>|(\d{1,2})|([\\ntr]))/g, (_t, name: string, num: string, esc: string) => {
    if (name !== undefined) return group(name);
    if (num !== undefined) return group(num);
    return esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === 'r' ? '\r' : '\\';
  });
}
