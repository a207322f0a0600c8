import { z } from 'zod';
import { CommandFailedError, PkgUnavailableError } from '../errors.js';
import { runProcess, type ProcessResult } from '../executor/run-process.js';
import { absolutePath } from './schemas.js';
import { defineFunction, type ModuleContext, type ModuleFunction } from './types.js';
import { which } from './which.js';

/** Output kept from apt-get and dpkg-query: a package list is tens of KiB; apt logs can be long. */
const TOOL_OUTPUT_BYTES = 16 * 1024 * 1024;
// Lock::Timeout: wait for another apt/dpkg run (unattended-upgrades, a parallel job) instead of failing at once.
const APT_OPTIONS = [
  '-q',
  '-y',
  '-o',
  'DPkg::Options::=--force-confdef',
  '-o',
  'DPkg::Options::=--force-confold',
  '-o',
  'DPkg::Lock::Timeout=120',
];

/** A Debian package name, optionally `:arch`; never starts with `-`, so it cannot be an option. */
const pkgName = z
  .string()
  .max(128)
  .regex(/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/, 'must be a Debian package name');
const pkgVersion = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.+~:-]*$/, 'must be a Debian version');

const list = defineFunction({
  name: 'pkg.list',
  doc: `Returns the installed packages as {name: version}, from dpkg-query.

CLI Example:

    brine '*' pkg.list`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => ({ ret: await installed(ctx) }),
});

const version = defineFunction({
  name: 'pkg.version',
  doc: `Returns the installed version of a package ("" when not installed), or {name: version} for
several.

CLI Example:

    brine '*' pkg.version openssl
    brine '*' pkg.version openssl bash`,
  params: [],
  rest: 'names',
  schema: z.object({ names: z.array(pkgName).min(1) }),
  run: async ({ names }, ctx) => {
    const found = await installed(ctx, names);
    const versions = Object.fromEntries(names.map((n) => [n, found[n] ?? '']));
    return { ret: names.length === 1 ? versions[names[0]!] : versions };
  },
});

const latestVersion = defineFunction({
  name: 'pkg.latest_version',
  doc: `Returns the candidate version apt would install for a package when it is newer than the
installed one, else "" (as Salt's pkg.latest_version); {name: version} for several. refresh=true
runs apt-get update first.

CLI Example:

    brine '*' pkg.latest_version openssl`,
  params: [],
  rest: 'names',
  schema: z.object({ names: z.array(pkgName).min(1), refresh: z.boolean().default(false) }),
  run: async ({ names, refresh: doRefresh }, ctx) => {
    if (doRefresh) await apt(['update'], ctx);
    const found = await installed(ctx, names);
    const candidates = await candidateVersions(names, ctx);
    const latest = Object.fromEntries(
      names.map((n) => [n, candidates[n] !== undefined && candidates[n] !== found[n] ? candidates[n] : '']),
    );
    return { ret: names.length === 1 ? latest[names[0]!] : latest };
  },
});

/** The candidate version of each package from `apt-cache policy` (absent when apt knows none). */
async function candidateVersions(names: readonly string[], ctx: ModuleContext): Promise<Record<string, string>> {
  const r = await runTool([await tool('apt-cache'), 'policy', '--', ...names], ctx, false);
  if (r.retcode !== 0) throw new CommandFailedError('apt-cache', r.retcode, r.stderr);
  const out: Record<string, string> = {};
  let current: string | undefined;
  for (const line of r.stdout.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) current = head[1];
    const cand = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (cand && current !== undefined && cand[1] !== '(none)') out[current] = cand[1]!;
  }
  return out;
}

const refresh = defineFunction({
  name: 'pkg.refresh',
  doc: `Refreshes the package lists (apt-get update). Returns true.

CLI Example:

    brine '*' pkg.refresh`,
  params: [],
  schema: z.object({}),
  run: async (_input, ctx) => {
    await apt(['update'], ctx);
    return { ret: true };
  },
});

const install = defineFunction({
  name: 'pkg.install',
  doc: `Installs packages with apt-get (noninteractive, keeping changed config files): \`name\`
(with \`version\`), a list \`pkgs\`, and/or local .deb files \`sources\` (absolute paths).
refresh=true runs apt-get update first. Returns the changes as {name: {old, new}}.

CLI Example:

    brine '*' pkg.install nginx
    brine '*' pkg.install pkgs='[curl, jq]' refresh=true`,
  params: ['name'],
  schema: z
    .object({
      name: pkgName.optional(),
      version: pkgVersion.optional(),
      pkgs: z.array(pkgName).default([]),
      sources: z.array(absolutePath.refine((p) => p.endsWith('.deb'), 'must be a .deb file')).default([]),
      refresh: z.boolean().default(false),
    })
    .refine((a) => a.name !== undefined || a.pkgs.length > 0 || a.sources.length > 0, {
      message: 'give name, pkgs or sources',
    })
    .refine((a) => a.version === undefined || a.name !== undefined, { message: 'version needs name' }),
  run: async ({ name, version: ver, pkgs, sources, refresh: doRefresh }, ctx) => {
    const targets = [...(name ? [ver ? `${name}=${ver}` : name] : []), ...pkgs, ...sources];
    const before = await installed(ctx);
    if (doRefresh) await apt(['update'], ctx);
    await apt(['install', '--', ...targets], ctx);
    return { ret: changes(before, await installed(ctx)) };
  },
});

const remove = defineFunction({
  name: 'pkg.remove',
  doc: `Removes packages with apt-get (purge=true also deletes their config files). Returns the
changes as {name: {old, new}}.

CLI Example:

    brine '*' pkg.remove nginx purge=true`,
  params: ['name'],
  schema: z
    .object({ name: pkgName.optional(), pkgs: z.array(pkgName).default([]), purge: z.boolean().default(false) })
    .refine((a) => a.name !== undefined || a.pkgs.length > 0, { message: 'give name or pkgs' }),
  run: async ({ name, pkgs, purge }, ctx) => {
    const before = await installed(ctx);
    await apt([purge ? 'purge' : 'remove', '--', ...(name ? [name] : []), ...pkgs], ctx);
    return { ret: changes(before, await installed(ctx)) };
  },
});

/** Installed packages (all, or those of `names`) from dpkg-query, as {name: version}. */
async function installed(ctx: ModuleContext, names: readonly string[] = []): Promise<Record<string, string>> {
  const dpkgQuery = await tool('dpkg-query');
  const format = '${Package}\\t${Version}\\t${db:Status-Status}\\n';
  // Exit 1 only means some of `names` are unknown; the rest are still printed.
  const r = await runTool([dpkgQuery, '-W', `--showformat=${format}`, '--', ...names], ctx, false);
  if (r.retcode > 1) throw new CommandFailedError('dpkg-query', r.retcode, r.stderr);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const [pkg, ver, status] = line.split('\t');
    if (pkg && ver && status === 'installed') out[pkg] = ver;
  }
  return out;
}

async function apt(args: string[], ctx: ModuleContext): Promise<void> {
  const aptGet = await tool('apt-get');
  await tool('dpkg-query');
  const r = await runTool([aptGet, ...APT_OPTIONS, ...args], ctx, true);
  if (r.retcode !== 0) throw new CommandFailedError('apt-get', r.retcode, r.stderr || r.stdout);
}

async function tool(program: string): Promise<string> {
  const path = await which(program);
  if (path === undefined) throw new PkgUnavailableError(program);
  return path;
}

function runTool(argv: string[], ctx: ModuleContext, stream: boolean): Promise<ProcessResult> {
  return runProcess({
    argv,
    env: { DEBIAN_FRONTEND: 'noninteractive', APT_LISTCHANGES_FRONTEND: 'none', LC_ALL: 'C' },
    maxOutputBytes: TOOL_OUTPUT_BYTES,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    ...(stream ? { onOutput: (s, chunk) => ctx.emit(s, chunk) } : {}),
  });
}

function changes(before: Record<string, string>, after: Record<string, string>): Record<string, unknown> {
  const out: Record<string, { old: string; new: string }> = {};
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const old = before[name] ?? '';
    const now = after[name] ?? '';
    if (old !== now) out[name] = { old, new: now };
  }
  return out;
}

/** The `pkg.*` functions (apt/dpkg): list, version, latest_version, refresh, install, remove. */
export const pkgFunctions: readonly ModuleFunction[] = [list, version, latestVersion, refresh, install, remove];
