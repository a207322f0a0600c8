import { readFile, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { FileTooLargeError } from '../errors.js';
import { withFileErrors } from './fs-errors.js';
import { absolutePath } from './schemas.js';
import { defineFunction } from './types.js';

/** `file.replace`: regex replacement in a file; returns whether the file changed. */
export const replace = defineFunction({
  name: 'file.replace',
  doc: `Replaces matches of a regular expression in a file and returns whether the file changed.
\`repl\` uses JavaScript replacement syntax ($1, $<name>, $&, $$); \`count\` limits the number of
replacements (0 = all); \`flags\` adds regex flags from "imsu".

CLI Example:

    brine '*' file.replace /etc/ssh/sshd_config '^#?PermitRootLogin .*' 'PermitRootLogin no' flags=m`,
  params: ['path', 'pattern', 'repl'],
  schema: z
    .object({
      path: absolutePath,
      pattern: z.string().min(1),
      repl: z.string(),
      count: z.number().int().nonnegative().default(0),
      flags: z
        .string()
        .regex(/^[imsu]*$/, 'must use only the flags i, m, s and u')
        .default(''),
    })
    .refine(({ pattern, flags }) => isRegExp(pattern, flags), {
      message: 'not a valid regular expression',
      path: ['pattern'],
    }),
  run: ({ path, pattern, repl, count, flags }, ctx) =>
    withFileErrors(path, async () => {
      const { size } = await stat(path);
      if (size > ctx.maxOutputBytes) throw new FileTooLargeError(path, size, ctx.maxOutputBytes);
      const before = await readFile(path, 'utf8');
      const after = replaceCount(before, new RegExp(pattern, `g${flags}`), repl, count);
      if (after === before) return { ret: false };
      await writeFile(path, after);
      return { ret: true };
    }),
});

/** Replaces the first `count` matches of a global regex (all when 0), expanding `$` patterns. */
function replaceCount(input: string, re: RegExp, repl: string, count: number): string {
  let out = '';
  let last = 0;
  let n = 0;
  for (const m of input.matchAll(re)) {
    if (count > 0 && n >= count) break;
    out += input.slice(last, m.index) + expand(repl, m, input);
    last = m.index + m[0].length;
    n += 1;
  }
  return out + input.slice(last);
}

/** Expands a replacement string for one match, as String.prototype.replace would. */
function expand(repl: string, m: RegExpExecArray, input: string): string {
  const groups = m.length - 1;
  return repl.replace(/\$(\$|&|`|'|\d\d?|<([^>]*)>)/g, (token, what: string, name: string | undefined) => {
    if (what === '$') return '$';
    if (what === '&') return m[0];
    if (what === '`') return input.slice(0, m.index);
    if (what === "'") return input.slice(m.index + m[0].length);
    if (name !== undefined) return m.groups ? (m.groups[name] ?? '') : token;
    const nn = Number(what);
    if (nn >= 1 && nn <= groups) return m[nn] ?? '';
    // `$12` with one group is `$1` then "2"; an out-of-range `$n` stays literal.
    const n = Number(what[0]);
    if (what.length === 2 && n >= 1 && n <= groups) return (m[n] ?? '') + what[1]!;
    return token;
  });
}

function isRegExp(pattern: string, flags: string): boolean {
  try {
    new RegExp(pattern, flags);
    return true;
  } catch {
    return false;
  }
}
