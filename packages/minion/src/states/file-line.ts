import { z } from 'zod';
import { contentDiff, readIfExists, writeAtomic } from './file-content.js';
import { statePath } from './schemas.js';
import { failed, guarded, stateResult } from './result.js';
import { defineState } from './types.js';

const lineArgs = z
  .object({
    name: statePath,
    content: z.string().optional(),
    /** A regex searched in each line; defaults to the content itself (escaped). */
    match: z.string().optional(),
    mode: z.enum(['ensure', 'replace', 'delete', 'insert']),
    location: z.enum(['start', 'end']).optional(),
    before: z.string().optional(),
    after: z.string().optional(),
    create: z.boolean().default(false),
  })
  .refine((a) => a.mode === 'delete' || a.content !== undefined, {
    message: 'content is required unless mode is delete',
  })
  .refine((a) => a.mode !== 'delete' || a.content !== undefined || a.match !== undefined, {
    message: 'delete needs match or content',
  });

type LineArgs = z.output<typeof lineArgs>;

/** `file.line`: one line ensured, replaced, deleted or inserted at a place in a file. */
export const line = defineState({
  name: 'file.line',
  doc: `Edits one line of a file. \`mode\`: \`delete\` removes lines matching \`match\` (a regex;
default the content); \`replace\` puts \`content\` in place of matching lines; \`insert\` adds
\`content\` when no line equals it, at \`location\` (start/end) or \`before\`/\`after\` a line
matching those regexes; \`ensure\` makes the line next to \`after\` (or \`before\`) be \`content\`,
replacing a line matching \`match\` there or inserting. \`create\` makes a missing file.
Changes: {diff}.

SLS Example:

    /etc/default/grub:
      file.line:
        - mode: replace
        - match: '^GRUB_TIMEOUT='
        - content: GRUB_TIMEOUT=2`,
  args: lineArgs,
  run: (a, ctx) =>
    guarded(a.name, async () => {
      const before = await readIfExists(a.name);
      if (before === undefined && !a.create) return failed(a.name, `${a.name}: file not found`);
      const text = before?.toString('utf8') ?? '';
      const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
      const edited = editLines(lines, a);
      if (typeof edited === 'string') return failed(a.name, edited);
      const after = edited.length === 0 ? '' : `${edited.join('\n')}\n`;
      const next = Buffer.from(after);
      // An edit that changes no line leaves the file as it is (even without a final newline).
      if (before !== undefined && (before.equals(next) || edited.join('\n') === lines.join('\n'))) {
        return stateResult(a.name, { comment: 'No changes needed to be made' });
      }
      const changes = { diff: contentDiff(a.name, before, next) };
      if (ctx.test) return stateResult(a.name, { result: null, comment: 'Changes would be made', changes });
      await writeAtomic(a.name, next);
      return stateResult(a.name, { comment: 'Changes were made', changes });
    }),
});

/** The file's lines after the edit, or a failure comment. Pure, so it is tested with tables. */
export function editLines(lines: readonly string[], a: Omit<LineArgs, 'name' | 'create'>): string[] | string {
  const content = a.content ?? '';
  const match = new RegExp(a.match ?? escapeRegExp(content));
  switch (a.mode) {
    case 'delete':
      return lines.filter((l) => !match.test(l));
    case 'replace':
      return lines.map((l) => (match.test(l) ? content : l));
    case 'insert': {
      if (lines.includes(content)) return [...lines];
      const at = anchorIndex(lines, a);
      if (typeof at === 'string') return at;
      return [...lines.slice(0, at), content, ...lines.slice(at)];
    }
    case 'ensure': {
      if (a.before === undefined && a.after === undefined) return 'ensure needs before or after';
      const at = anchorIndex(lines, a);
      if (typeof at === 'string') return at;
      // The line that should hold `content`: right after `after`, or right before `before`.
      const slot = a.after !== undefined ? at : at - 1;
      const there = lines[slot];
      if (there === content) return [...lines];
      if (there !== undefined && match.test(there)) {
        return lines.map((l, i) => (i === slot ? content : l));
      }
      return [...lines.slice(0, at), content, ...lines.slice(at)];
    }
  }
}

/** Where to insert: after the `after` line, before the `before` line, or at `location` (default end). */
function anchorIndex(lines: readonly string[], a: Omit<LineArgs, 'name' | 'create'>): number | string {
  if (a.after !== undefined) {
    const re = new RegExp(a.after);
    const i = lines.findIndex((l) => re.test(l));
    return i < 0 ? `Unable to find the line after which to insert: ${a.after}` : i + 1;
  }
  if (a.before !== undefined) {
    const re = new RegExp(a.before);
    const i = lines.findIndex((l) => re.test(l));
    return i < 0 ? `Unable to find the line before which to insert: ${a.before}` : i;
  }
  return a.location === 'start' ? 0 : lines.length;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
