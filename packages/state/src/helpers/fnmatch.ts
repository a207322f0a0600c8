/**
 * Compiles a shell-style pattern as Python's `fnmatch.fnmatchcase` reads it (`*`, `?`, `[seq]`,
 * `[!seq]`), which Salt uses for requisite globs, `sls:` targets, excludes and `filter_by`.
 */
export function compileFnmatch(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** True when `name` matches the shell-style `pattern` (case-sensitive, as `fnmatchcase`). */
export function fnmatch(name: string, pattern: string): boolean {
  if (!/[*?[]/.test(pattern)) return name === pattern;
  return compileFnmatch(pattern).test(name);
}
