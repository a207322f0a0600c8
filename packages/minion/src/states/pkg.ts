import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { absolutePath } from '../modules/schemas.js';
import { masterUrl } from './schemas.js';
import { errorText, guarded, stateResult } from './result.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

const version = z.union([z.string(), z.number().transform(String)]);
/** `pkgs:` items: a name, or `{name: version}` as in Salt. */
const pkgsArg = z.array(z.union([z.string(), z.record(z.string(), version.nullable())])).default([]);
/** `sources:` items: `{name: brine://x.deb | /path/x.deb}`. */
const sourcesArg = z
  .array(z.record(z.string(), z.union([masterUrl.transform((p) => `brine://${p}`), absolutePath])))
  .default([]);

const installedArgs = z.object({
  name: z.string(),
  version: version.optional(),
  pkgs: pkgsArg,
  sources: sourcesArg,
  refresh: z.boolean().default(false),
});

/** One package a state wants: its name and, when pinned, its version (`1.2*` matches a prefix). */
interface Target {
  name: string;
  version?: string;
}

function targetsOf(a: { name: string; version?: string | undefined; pkgs: z.output<typeof pkgsArg> }): Target[] {
  if (a.pkgs.length === 0) return [a.version === undefined ? { name: a.name } : { name: a.name, version: a.version }];
  return a.pkgs.flatMap((p) =>
    typeof p === 'string'
      ? [{ name: p }]
      : Object.entries(p).map(([name, v]) => (v === null ? { name } : { name, version: v })),
  );
}

/** Installed versions of `names` ('' when absent), through the `pkg.version` execution function. */
async function versions(ctx: StateContext, names: readonly string[]): Promise<Record<string, string>> {
  if (names.length === 0) return {};
  const { ret } = await ctx.call('pkg.version', names);
  return typeof ret === 'string' ? { [names[0]!]: ret } : (ret as Record<string, string>);
}

async function latest(ctx: StateContext, names: readonly string[], refresh: boolean): Promise<Record<string, string>> {
  if (names.length === 0) return {};
  const { ret } = await ctx.call('pkg.latest_version', names, { refresh });
  return typeof ret === 'string' ? { [names[0]!]: ret } : (ret as Record<string, string>);
}

function satisfied(have: string | undefined, want: string | undefined): boolean {
  if (!have) return false;
  if (want === undefined) return true;
  return want.endsWith('*') ? have.startsWith(want.slice(0, -1)) : have === want;
}

/** Installs what is missing; the backend is apt/dpkg through the `pkg.*` execution functions. */
async function ensureInstalled(a: z.output<typeof installedArgs>, ctx: StateContext): Promise<StateResult> {
  const targets: Target[] =
    a.sources.length > 0 ? a.sources.flatMap((s) => Object.keys(s).map((name) => ({ name }))) : targetsOf(a);
  const have = await versions(
    ctx,
    targets.map((t) => t.name),
  );
  const todo = targets.filter((t) => !satisfied(have[t.name], t.version));
  if (todo.length === 0) {
    const comment =
      targets.length === 1 && a.pkgs.length === 0
        ? `Package ${targets[0]!.name} is already installed`
        : 'All specified packages are already installed';
    return stateResult(a.name, { comment });
  }
  const names = todo.map((t) => t.name).join(', ');
  if (ctx.test) {
    const candidates =
      a.sources.length > 0
        ? {}
        : await latest(
            ctx,
            todo.filter((t) => !t.version).map((t) => t.name),
            false,
          );
    const changes = Object.fromEntries(
      todo.map((t) => [t.name, { old: have[t.name] ?? '', new: t.version ?? (candidates[t.name] || 'installed') }]),
    );
    return stateResult(a.name, {
      result: null,
      comment: `The following packages would be installed/updated: ${names}`,
      changes,
    });
  }
  const changes: Record<string, unknown> = {};
  if (a.sources.length > 0) {
    Object.assign(changes, await installSources(a, todo, ctx));
  } else {
    // A prefix (`1.2*`) installs apt's candidate, which the check below must then match.
    const exact = (t: Target): boolean => t.version !== undefined && !t.version.endsWith('*');
    const loose = todo.filter((t) => !exact(t)).map((t) => t.name);
    if (loose.length > 0)
      Object.assign(changes, (await ctx.call('pkg.install', [], { pkgs: loose, refresh: a.refresh })).ret);
    for (const t of todo.filter(exact)) {
      Object.assign(
        changes,
        (await ctx.call('pkg.install', [], { name: t.name, version: t.version, refresh: a.refresh })).ret,
      );
    }
  }
  const after = await versions(
    ctx,
    todo.map((t) => t.name),
  );
  const failedNames = todo.filter((t) => !satisfied(after[t.name], t.version)).map((t) => t.name);
  if (failedNames.length > 0) {
    return stateResult(a.name, {
      result: false,
      comment: `The following packages failed to install/update: ${failedNames.join(', ')}`,
      changes,
    });
  }
  return stateResult(a.name, { comment: `The following packages were installed/updated: ${names}`, changes });
}

/** Installs `.deb` sources: brine:// ones are fetched into the cache first. */
async function installSources(
  a: z.output<typeof installedArgs>,
  todo: readonly Target[],
  ctx: StateContext,
): Promise<unknown> {
  const parent = join(ctx.cacheDir, 'states');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(parent, 'deb-'));
  try {
    const paths: string[] = [];
    for (const source of a.sources) {
      for (const [name, where] of Object.entries(source)) {
        if (!todo.some((t) => t.name === name)) continue;
        if (!where.startsWith('brine://')) {
          paths.push(where);
          continue;
        }
        const dest = join(dir, basename(where).endsWith('.deb') ? basename(where) : `${name}.deb`);
        await ctx.files.getFile(where.slice('brine://'.length), dest);
        paths.push(dest);
      }
    }
    return (await ctx.call('pkg.install', [], { sources: paths, refresh: a.refresh })).ret;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const installed = defineState({
  name: 'pkg.installed',
  doc: `Makes sure packages are installed: \`name\` (with an optional \`version\`, \`1.2*\` for a
prefix), or \`pkgs\` (names or {name: version}), or \`sources\` ({name: brine://x.deb or a
path}). A package already installed at a matching version is left alone (no upgrade).
\`refresh: true\` runs apt-get update first. Uses apt-get/dpkg through pkg.install.
Changes: {<name>: {old, new}}; under test, \`new\` is apt's candidate version.

SLS Example:

    web-packages:
      pkg.installed:
        - pkgs: [nginx, {curl: '7.88*'}]`,
  args: installedArgs,
  run: (a, ctx) => guarded(a.name, () => ensureInstalled(a, ctx)),
});

const latestArgs = z.object({
  name: z.string(),
  pkgs: z.array(z.string()).default([]),
  refresh: z.boolean().default(false),
});

const latestState = defineState({
  name: 'pkg.latest',
  doc: `Makes sure packages (\`name\` or \`pkgs\`) are installed at apt's candidate version,
upgrading them when a newer one is available. \`refresh: true\` runs apt-get update first.
Changes: {<name>: {old, new}}.

SLS Example:

    openssl:
      pkg.latest:
        - refresh: true`,
  args: latestArgs,
  run: (a, ctx) =>
    guarded(a.name, async () => {
      const names = a.pkgs.length > 0 ? a.pkgs : [a.name];
      const newer = await latest(ctx, names, a.refresh);
      const have = await versions(ctx, names);
      const unknown = names.filter((n) => !newer[n] && !have[n]);
      if (unknown.length > 0)
        return stateResult(a.name, { result: false, comment: `No information found for '${unknown.join("', '")}'.` });
      const todo = names.filter((n) => newer[n]);
      if (todo.length === 0) {
        return stateResult(a.name, {
          comment: names.length === 1 ? `Package ${names[0]} is already up-to-date` : 'All packages are up-to-date',
        });
      }
      const changes = Object.fromEntries(todo.map((n) => [n, { old: have[n] ?? '', new: newer[n]! }]));
      if (ctx.test) {
        return stateResult(a.name, {
          result: null,
          comment: `The following packages would be installed/upgraded: ${todo.join(', ')}`,
          changes,
        });
      }
      const done = (await ctx.call('pkg.install', [], { pkgs: todo })).ret as Record<string, unknown>;
      const after = await versions(ctx, todo);
      const stale = todo.filter((n) => after[n] !== newer[n]);
      if (stale.length > 0)
        return stateResult(a.name, {
          result: false,
          comment: `The following packages failed to update: ${stale.join(', ')}`,
          changes: done,
        });
      return stateResult(a.name, {
        comment: `The following packages were successfully installed/upgraded: ${todo.join(', ')}`,
        changes: done,
      });
    }),
});

function removal(verb: 'removed' | 'purged'): StateFunction {
  return defineState({
    name: `pkg.${verb}`,
    doc: `Makes sure packages (\`name\` or \`pkgs\`) are not installed${verb === 'purged' ? ', deleting their configuration files too (apt-get purge)' : ' (apt-get remove; configuration files stay)'}.
Changes: {<name>: {old, new: ""}}.

SLS Example:

    telnet:
      pkg.${verb}`,
    args: z.object({ name: z.string(), pkgs: z.array(z.string()).default([]) }),
    run: (a, ctx) =>
      guarded(a.name, async () => {
        const names = a.pkgs.length > 0 ? a.pkgs : [a.name];
        const have = await versions(ctx, names);
        const todo = names.filter((n) => have[n]);
        if (todo.length === 0) return stateResult(a.name, { comment: 'All specified packages are already absent' });
        if (ctx.test) {
          const changes = Object.fromEntries(todo.map((n) => [n, { old: have[n]!, new: '' }]));
          return stateResult(a.name, {
            result: null,
            comment: `The following packages will be ${verb}: ${todo.join(', ')}`,
            changes,
          });
        }
        try {
          const { ret } = await ctx.call('pkg.remove', [], { pkgs: todo, purge: verb === 'purged' });
          return stateResult(a.name, {
            comment: `The following packages were ${verb}: ${todo.join(', ')}`,
            changes: ret as Record<string, unknown>,
          });
        } catch (err) {
          return stateResult(a.name, {
            result: false,
            comment: `The following packages failed to ${verb === 'purged' ? 'purge' : 'remove'}: ${todo.join(', ')}: ${errorText(err)}`,
          });
        }
      }),
  });
}

/** The `pkg.*` state functions: installed, latest, removed, purged. */
export const pkgStates: readonly StateFunction[] = [installed, latestState, removal('removed'), removal('purged')];
