import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { contentDiff, readIfExists, writeAtomic } from './file-content.js';
import { parentMissing } from './file-ownership.js';
import { pythonReplacer, regexFlags } from './python-regex.js';
import { statePath } from './schemas.js';
import { failed, guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateResult } from './types.js';

const textArg = z.union([z.string(), z.array(z.string()).transform((l) => l.join('\n'))]);

/**
 * Shared ending of the editing states: no change, a test-mode prediction, or the write, each with
 * Salt's comment and a diff under `changes.diff`.
 */
async function finishEdit(
  ctx: StateContext,
  name: string,
  before: Buffer | undefined,
  after: string,
  comments: { done: string; test: string; none: string },
): Promise<StateResult> {
  const next = Buffer.from(after);
  if (before?.equals(next)) return stateResult(name, { comment: comments.none });
  const changes = { diff: contentDiff(name, before, next) };
  if (ctx.test) return stateResult(name, { result: null, comment: comments.test, changes });
  await mkdir(dirname(name), { recursive: true });
  await writeAtomic(name, next);
  return stateResult(name, { comment: comments.done, changes });
}

/** `file.append`: lines that must appear in a file, appended when missing. */
export const append = defineState({
  name: 'file.append',
  doc: `Appends each line of \`text\` (a string or list) that the file does not already have as a
whole line; creates the file (and with \`makedirs\`, its parents). Changes: {diff}.

SLS Example:

    /etc/hosts.allow:
      file.append:
        - text: 'sshd: 10.0.0.0/8'`,
  args: z.object({ name: statePath, text: textArg, makedirs: z.boolean().default(false) }),
  run: (a, ctx) =>
    guarded(a.name, async () => {
      if (await parentMissing(a.name, a.makedirs, ctx.test)) {
        return failed(a.name, `Directory ${dirname(a.name)} is not present`);
      }
      const before = await readIfExists(a.name);
      const text = before?.toString('utf8') ?? '';
      const have = new Set(text.split('\n'));
      const missing = a.text.split('\n').filter((l) => l !== '' && !have.has(l));
      const lead = text !== '' && !text.endsWith('\n') ? '\n' : '';
      const after = missing.length === 0 ? text : `${text}${lead}${missing.join('\n')}\n`;
      return finishEdit(ctx, a.name, before, after, {
        done: `Appended ${missing.length} lines`,
        test: `File ${a.name} is set to be updated`,
        none: `File ${a.name} is in correct state`,
      });
    }),
});

/** `file.replace`: a regular-expression substitution in a file. */
export const replace = defineState({
  name: 'file.replace',
  doc: `Replaces matches of \`pattern\` (Python-style regex, multiline by default as in Salt) with
\`repl\` (\`\\1\`, \`\\g<name>\` back-references); \`count\` limits replacements (0 = all);
\`flags\` is a list of Salt names (IGNORECASE, MULTILINE, DOTALL) or a string of "imsu".
\`append_if_not_found\`/\`prepend_if_not_found\` add \`not_found_content\` (default \`repl\`) when
nothing matches and the content is not already there. Changes: {diff}.

SLS Example:

    /etc/ssh/sshd_config:
      file.replace:
        - pattern: '^#?PermitRootLogin .*'
        - repl: 'PermitRootLogin no'`,
  args: z.object({
    name: statePath,
    pattern: z.string().min(1),
    repl: z.string(),
    count: z.number().int().nonnegative().default(0),
    flags: z.union([z.string(), z.array(z.string()), z.number()]).default(['MULTILINE']),
    append_if_not_found: z.boolean().default(false),
    prepend_if_not_found: z.boolean().default(false),
    not_found_content: z.string().optional(),
  }),
  run: (a, ctx) =>
    guarded(a.name, async () => {
      const before = await readIfExists(a.name);
      if (before === undefined) return failed(a.name, `${a.name}: file not found`);
      const re = new RegExp(a.pattern, `g${regexFlags(a.flags)}`);
      const text = before.toString('utf8');
      let n = 0;
      let after = text.replace(re, (...m: unknown[]) => {
        n += 1;
        return a.count > 0 && n > a.count ? String(m[0]) : pythonReplacer(a.repl, m);
      });
      if (n === 0 && (a.append_if_not_found || a.prepend_if_not_found)) {
        const extra = a.not_found_content ?? a.repl;
        if (!text.split('\n').includes(extra)) {
          const body = text !== '' && !text.endsWith('\n') ? `${text}\n` : text;
          after = a.prepend_if_not_found ? `${extra}\n${text}` : `${body}${extra}\n`;
        }
      }
      return finishEdit(ctx, a.name, before, after, {
        done: 'Changes were made',
        test: 'Changes would have been made',
        none: 'No changes needed to be made',
      });
    }),
});
