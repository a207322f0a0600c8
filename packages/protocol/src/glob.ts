const cache = new Map<string, RegExp>();

/**
 * Compiles a shell-style glob (`*`, `?`, `[abc]`, `[!abc]`, `[a-z]`) into an anchored RegExp,
 * as Salt's fnmatch does for minion ids and grain values. Results are cached.
 */
export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  re = new RegExp(`^${out}$`, 's');
  if (cache.size > 10_000) cache.clear();
  cache.set(glob, re);
  return re;
}

/** Whether `value` matches the glob `pattern`. */
export function globMatch(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}

/** Whether a pattern holds any glob metacharacter. */
export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}
