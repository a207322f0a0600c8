import { access, lstat, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { basename, join, normalize, isAbsolute } from 'node:path';
import { z } from 'zod';
import { CommandFailedError } from '../errors.js';
import { runProcess } from '../executor/run-process.js';
import { principal } from '../modules/schemas.js';
import { resolveGroup, resolveUser } from '../modules/users.js';
import { digestOf } from './file-content.js';
import { masterUrl, sourceHash, statePath } from './schemas.js';
import { failed, guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

const extractedArgs = z.object({
  name: statePath,
  source: masterUrl,
  source_hash: sourceHash.optional(),
  archive_format: z.enum(['tar', 'zip']).optional(),
  if_missing: z.string().startsWith('/').optional(),
  overwrite: z.boolean().default(false),
  clean: z.boolean().default(false),
  user: principal.optional(),
  group: principal.optional(),
});

type ExtractedArgs = z.output<typeof extractedArgs>;

/** tar (GNU tar, which detects gzip/bzip2/xz itself) or zip (Info-ZIP unzip), from the name unless given. */
function formatOf(a: ExtractedArgs): 'tar' | 'zip' | undefined {
  if (a.archive_format) return a.archive_format;
  if (/\.zip$/i.test(a.source)) return 'zip';
  if (/\.(tar|tgz|tbz2?|txz|tar\.(gz|bz2|xz|zst))$/i.test(a.source)) return 'tar';
  return undefined;
}

async function tool(argv: string[], ctx: StateContext): Promise<string> {
  const r = await runProcess({
    argv,
    env: { LC_ALL: 'C' },
    maxOutputBytes: 64 * 1024 * 1024,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
  });
  if (r.retcode !== 0) throw new CommandFailedError(argv[0]!, r.retcode, r.stderr || r.stdout);
  return r.stdout;
}

/** The member paths of an archive, refusing absolute paths and `..` (a "zip slip" would write outside `name`). */
async function members(file: string, format: 'tar' | 'zip', ctx: StateContext): Promise<string[] | string> {
  const out = format === 'zip' ? await tool(['unzip', '-Z1', file], ctx) : await tool(['tar', '-tf', file], ctx);
  const list = out.split('\n').filter(Boolean);
  const bad = list.find((m) => isAbsolute(m) || normalize(m).split('/').includes('..'));
  return bad === undefined ? list : `Archive member ${bad} would be extracted outside the target directory`;
}

async function missingMembers(dest: string, list: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const m of list) {
    if (
      !(await access(join(dest, m)).then(
        () => true,
        () => false,
      ))
    )
      missing.push(m);
  }
  return missing;
}

async function extract(a: ExtractedArgs, ctx: StateContext): Promise<StateResult> {
  const format = formatOf(a);
  if (format === undefined)
    return failed(a.name, `Could not guess the archive format of ${a.source}; set archive_format to tar or zip`);
  if (
    a.if_missing &&
    (await access(a.if_missing).then(
      () => true,
      () => false,
    ))
  ) {
    return stateResult(a.name, { comment: `Path ${a.if_missing} exists` });
  }
  const dir = await mkdtemp(join(await ensure(join(ctx.cacheDir, 'states')), 'archive-'));
  try {
    const file = join(dir, basename(a.source) || 'archive');
    await ctx.files.getFile(a.source, file);
    if (a.source_hash) {
      const actual = digestOf(await readFile(file), a.source_hash.algorithm);
      if (actual !== a.source_hash.digest) {
        return failed(
          a.name,
          `Specified ${a.source_hash.algorithm} checksum for brine://${a.source} (${a.source_hash.digest}) does not match actual checksum (${actual})`,
        );
      }
    }
    const list = await members(file, format, ctx);
    if (typeof list === 'string') return failed(a.name, list);
    const exists = (await lstat(a.name).catch(() => undefined)) !== undefined;
    const missing = exists && !a.clean ? await missingMembers(a.name, list) : [...list];
    if (missing.length === 0 && !a.overwrite)
      return stateResult(a.name, { comment: 'All files in archive are already present' });
    const changes: Record<string, unknown> = {
      extracted_files: list.filter((m) => !m.endsWith('/')),
      ...(exists ? {} : { directories_created: [a.name] }),
    };
    if (ctx.test)
      return stateResult(a.name, {
        result: null,
        comment: `Archive brine://${a.source} would be extracted to ${a.name}`,
        changes,
      });
    if (a.clean && exists) await rm(a.name, { recursive: true, force: true });
    await mkdir(a.name, { recursive: true });
    if (format === 'zip') await tool(['unzip', '-o', '-q', file, '-d', a.name], ctx);
    else await tool(['tar', '-xf', file, '-C', a.name, '--no-same-owner'], ctx);
    if (a.user !== undefined || a.group !== undefined) {
      const uid = a.user === undefined ? '' : String((await resolveUser(a.user)).uid);
      const gid = a.group === undefined ? '' : String(await resolveGroup(a.group));
      await tool(['chown', '-R', '-h', `${uid}${gid === '' ? '' : `:${gid}`}`, '--', a.name], ctx);
    }
    return stateResult(a.name, { comment: `brine://${a.source} extracted to ${a.name}`, changes });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ensure(path: string): Promise<string> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  return path;
}

const extracted = defineState({
  name: 'archive.extracted',
  doc: `Extracts a tar (gz, bz2, xz: GNU tar detects them) or zip archive from the master
(\`source\`, brine:// or salt://) into the directory \`name\`, unless every member is already
there (or \`if_missing\` exists). \`overwrite: true\` extracts again anyway; \`clean: true\` empties
\`name\` first; \`source_hash\` checks the archive; \`user\`/\`group\` then own \`name\` and all in it (chown -R).
Members with absolute paths or ".." are refused. Uses tar and unzip (Debian packages tar and
unzip). Changes: {extracted_files, directories_created}.

SLS Example:

    /opt/app:
      archive.extracted:
        - source: brine://app/app-1.2.tar.gz`,
  args: extractedArgs,
  run: (a, ctx) => guarded(a.name, () => extract(a, ctx)),
});

/** The `archive.*` state functions: extracted. */
export const archiveStates: readonly StateFunction[] = [extracted];
