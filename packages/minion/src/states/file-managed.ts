import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { octalMode } from '../modules/schemas.js';
import { sourceHash, sourceList, ownershipArgs, statePath } from './schemas.js';
import { applyOwnership, ownershipOf, planOwnership } from './file-ownership.js';
import { backupFile, contentDiff, digestOf, fetchSource, readIfExists, writeAtomic } from './file-content.js';
import { statOrUndefined } from './path-stat.js';
import { failed, guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateResult } from './types.js';

/** Salt's note under every test-mode file change. */
export const TEST_NOTE = 'Note: No changes made, actual changes may\nbe different due to other states.';

const args = z
  .object({
    name: statePath,
    source: sourceList.optional(),
    source_hash: sourceHash.optional(),
    contents: z.union([z.string(), z.array(z.string()).transform((l) => l.join('\n'))]).optional(),
    contents_pillar: z.string().min(1).optional(),
    contents_newline: z.boolean().default(true),
    template: z.enum(['jinja']).optional(),
    context: z.record(z.string(), z.unknown()).default({}),
    defaults: z.record(z.string(), z.unknown()).default({}),
    ...ownershipArgs,
    makedirs: z.boolean().default(false),
    /** Mode of the parent directories `makedirs` creates. */
    dir_mode: octalMode.optional(),
    replace: z.boolean().default(true),
    /** false: report `diff: '<show_changes=False>'` instead of the contents (secrets). */
    show_changes: z.boolean().default(true),
    backup: z.string().optional(),
  })
  .refine((a) => [a.source, a.contents, a.contents_pillar].filter((x) => x !== undefined).length <= 1, {
    message: 'give only one of source, contents and contents_pillar',
  });

type ManagedArgs = z.output<typeof args>;

/** `file.managed`: a file with given contents, owner, group and mode. */
export const managed = defineState({
  name: 'file.managed',
  doc: `Makes sure a file has the given contents and attributes. Contents come from \`source\`
(brine:// or salt://, or a list tried in order), \`contents\` (text or a list of lines) or
\`contents_pillar\` (a pillar key); \`template: jinja\` renders the source or contents with
\`defaults\` overlaid by \`context\`. \`source_hash\` (sha256=<hex>) must match the source.
\`user\`, \`group\`, \`mode\` set attributes; \`makedirs\` creates missing parents (\`dir_mode\`);
\`show_changes: false\` hides the diff (for secrets); a symlink is followed; \`replace: false\`
leaves an existing file's contents alone; \`backup: minion\` keeps the old file in the cache.
Changes: \`diff\` (a unified diff, or "New file"), \`user\`, \`group\`, \`mode\`.

SLS Example:

    /etc/nginx/nginx.conf:
      file.managed:
        - source: brine://nginx/nginx.conf.j2
        - template: jinja
        - context: {workers: 4}
        - user: root
        - mode: '0644'`,
  args,
  run: (a, ctx) => guarded(a.name, () => manage(a, ctx)),
});

async function manage(a: ManagedArgs, ctx: StateContext): Promise<StateResult> {
  const st = statOrUndefined(a.name);
  if (st?.isDirectory()) return failed(a.name, `Specified target ${a.name} is a directory`);
  const parent = statOrUndefined(dirname(a.name));
  // Under test an earlier state may create the parent, so the change is predicted (as Salt does).
  if (!parent && !a.makedirs && !ctx.test) return failed(a.name, `Parent directory not present`);
  if (parent && !parent.isDirectory()) return failed(a.name, `The path ${dirname(a.name)} is not a directory`);

  const before = st ? await readIfExists(a.name) : undefined;
  const keepContents = before !== undefined && (!a.replace || !hasContents(a));
  let wanted: Buffer | undefined;
  if (!keepContents) {
    const desired = await desiredContents(a, ctx, before);
    if (typeof desired === 'string') return failed(a.name, desired);
    wanted = desired;
  }
  const contentChanged = wanted !== undefined && (before === undefined || !before.equals(wanted));
  const own = await planOwnership(st ? a.name : undefined, ownershipOf(a), ctx.test);
  const changes: Record<string, unknown> = {
    ...(contentChanged ? { diff: a.show_changes ? contentDiff(a.name, before, wanted!) : '<show_changes=False>' } : {}),
    ...own.changes,
  };
  if (Object.keys(changes).length === 0) {
    const comment =
      keepContents && a.replace === false && hasContents(a)
        ? `File ${a.name} exists with proper permissions. No changes made.`
        : `File ${a.name} is in the correct state`;
    return stateResult(a.name, { comment });
  }
  if (ctx.test) {
    return stateResult(a.name, {
      result: null,
      comment: `The file ${a.name} is set to be changed\n${TEST_NOTE}`,
      changes,
    });
  }
  if (!parent)
    mkdirSync(dirname(a.name), { recursive: true, ...(a.dir_mode === undefined ? {} : { mode: a.dir_mode }) });
  if (contentChanged) {
    if (a.backup !== undefined && before !== undefined) await backupFile(ctx.cacheDir, a.name);
    await writeAtomic(a.name, wanted!, a.mode ?? 0o644);
  }
  await applyOwnership(a.name, await planOwnership(a.name, ownershipOf(a)), ownershipOf(a));
  return stateResult(a.name, { comment: `File ${a.name} updated`, changes });
}

function hasContents(a: ManagedArgs): boolean {
  return a.source !== undefined || a.contents !== undefined || a.contents_pillar !== undefined;
}

/**
 * The bytes the file should hold, or a failure comment. With no source or contents, an existing
 * file keeps its bytes and a missing one is created empty.
 */
async function desiredContents(
  a: ManagedArgs,
  ctx: StateContext,
  before: Buffer | undefined,
): Promise<Buffer | string> {
  if (a.source !== undefined) {
    // An existing file already matching source_hash needs no download (Salt skips it too).
    if (a.source_hash && !a.template && before && digestOf(before, a.source_hash.algorithm) === a.source_hash.digest) {
      return before;
    }
    const data = await fetchSource(ctx, a.source);
    if (a.source_hash) {
      const actual = digestOf(data, a.source_hash.algorithm);
      if (actual !== a.source_hash.digest) {
        return `Specified ${a.source_hash.algorithm} checksum for ${a.name} (${a.source_hash.digest}) does not match actual checksum (${actual})`;
      }
    }
    return a.template ? Buffer.from(await render(a, ctx, data.toString('utf8'))) : data;
  }
  let text: string | undefined = a.contents;
  if (a.contents_pillar !== undefined) {
    const value = ctx.pillar(a.contents_pillar);
    if (value === undefined) return `Pillar ${a.contents_pillar} does not exist`;
    text = typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (text === undefined) return before ?? Buffer.alloc(0);
  if (a.template) text = await render(a, ctx, text);
  if (a.contents_newline && text !== '' && !text.endsWith('\n')) text += '\n';
  return Buffer.from(text);
}

function render(a: ManagedArgs, ctx: StateContext, text: string): Promise<string> {
  return ctx.render(text, { ...a.defaults, ...a.context });
}
