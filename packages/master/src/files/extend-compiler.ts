import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import type { ExtendEntry, ExtendKind } from '@brine/protocol';

/** The directory under the compiled-output root where compiled extensions are served from. */
export const COMPILED_PREFIX = '_compiled';

/** Source files an extension directory may hold. */
const SOURCE = /^([A-Za-z0-9_][A-Za-z0-9_-]{0,127})\.(ts|mts|js|mjs)$/;

/** The compiled files of one kind, and the sources that did not compile. */
export interface CompiledKind {
  entries: ExtendEntry[];
  errors: { name: string; message: string }[];
}

/** Bundles one source file to an ES module; rejects with the compiler's message. */
export type Bundle = (source: string) => Promise<string>;

/** Where the master's own packages resolve from: extension sources live in file roots without node_modules. */
const HOST_DIR = dirname(fileURLToPath(import.meta.url));
const HOST_PACKAGES = /^@brine\/extend(\/.*)?$/;

/** The global under which the minion hands extensions its own zod (see the minion's `host-modules.ts`). */
export const HOST_ZOD_KEY = 'brine.extend.zod';

/** A module that re-exports the minion's zod, with every named export zod has. */
async function zodShim(): Promise<string> {
  const names = Object.keys(await import('zod')).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
  const lines = [`const m = globalThis[Symbol.for(${JSON.stringify(HOST_ZOD_KEY)})];`];
  lines.push("if (!m) throw new Error('this minion does not provide zod to extensions');");
  // `export { local as name }` allows names that are reserved words (zod exports `catch`, `null`, `enum`...).
  names.forEach((n, i) => lines.push(`const x${i} = m[${JSON.stringify(n)}];`, `export { x${i} as ${n} };`));
  lines.push('export default m.default ?? m.z;');
  return lines.join('\n');
}

/**
 * Resolves imports as the minion will provide them: `zod` becomes the minion's own instance
 * (bundled, it weighs 760 KB per file, measured, and its classes would not be the minion's),
 * `@brine/extend` (identity helpers) is inlined from the master's install, whatever directory
 * the source is in: file roots have no node_modules.
 */
const hostPackages: Plugin = {
  name: 'brine-host-packages',
  setup(b) {
    b.onResolve({ filter: /^zod(\/.*)?$/ }, () => ({ path: 'zod', namespace: 'brine-host' }));
    b.onLoad({ filter: /.*/, namespace: 'brine-host' }, async () => ({ contents: await zodShim(), loader: 'js' }));
    b.onResolve({ filter: HOST_PACKAGES }, async (args) => {
      if (args.pluginData === 'host') return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, resolveDir: HOST_DIR, pluginData: 'host' });
      return found.errors.length > 0 ? { errors: found.errors } : { path: found.path };
    });
  },
};

/**
 * Bundles with esbuild: TypeScript stripped, `@brine/extend` and relative helpers inlined, zod
 * taken from the minion, Node built-ins left as imports.
 */
export const esbuildBundle: Bundle = async (source) => {
  const { build } = await import('esbuild');
  const out = await build({
    plugins: [hostPackages],
    entryPoints: [source],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    // A bundled CommonJS dependency may call require(); give the ES module one.
    banner: {
      js: "import { createRequire as __brineRequire } from 'node:module'; const require = __brineRequire(import.meta.url);",
    },
  });
  return out.outputFiles[0]!.text;
};

/**
 * Compiles the extensions in the master's file roots (`_modules/`, `_states/`, `_grains/`,
 * `_beacons/`) into `outDir/_compiled/<kind>/<name>.js`, one bundled ES module per source file,
 * for the file server to serve and the signed listing to name. The first root that has a name
 * wins, as for any file. A file is compiled again only when its size or mtime changed; a file
 * that fails to compile is reported in `errors` and the others are listed.
 */
export class ExtendCompiler {
  readonly #roots: readonly string[];
  readonly #outDir: string;
  readonly #bundle: Bundle;
  readonly #inflight = new Map<string, Promise<CompiledKind>>();
  readonly #done = new Map<string, { stamp: string; entry: ExtendEntry } | { stamp: string; error: string }>();

  constructor(options: { roots: readonly string[]; outDir: string; bundle?: Bundle }) {
    this.#roots = options.roots;
    this.#outDir = options.outDir;
    this.#bundle = options.bundle ?? esbuildBundle;
  }

  /**
   * Compiles (or reuses) every source of one kind. Calls while one runs share it: a fleet that
   * syncs at once compiles each file once, and no two builds write the same file.
   */
  compile(kind: ExtendKind | 'runners'): Promise<CompiledKind> {
    const running = this.#inflight.get(kind);
    if (running) return running;
    const next = this.#compileAll(kind).finally(() => this.#inflight.delete(kind));
    this.#inflight.set(kind, next);
    return next;
  }

  async #compileAll(kind: ExtendKind | 'runners'): Promise<CompiledKind> {
    const sources = new Map<string, string>();
    for (const root of this.#roots) {
      let names: string[];
      try {
        names = readdirSync(join(root, `_${kind}`)).sort();
      } catch {
        continue;
      }
      for (const file of names) {
        const m = SOURCE.exec(file);
        if (m && !sources.has(m[1]!)) sources.set(m[1]!, join(root, `_${kind}`, file));
      }
    }
    const out: CompiledKind = { entries: [], errors: [] };
    for (const [name, source] of sources) {
      const done = await this.#compileOne(kind, name, source);
      if ('entry' in done) out.entries.push(done.entry);
      else out.errors.push({ name, message: done.error });
    }
    return out;
  }

  async #compileOne(kind: ExtendKind | 'runners', name: string, source: string) {
    const st = statSync(source);
    const stamp = `${source}:${st.size}:${st.mtimeMs}`;
    const key = `${kind}/${name}`;
    const cached = this.#done.get(key);
    if (cached && cached.stamp === stamp) return cached;
    let result: { stamp: string; entry: ExtendEntry } | { stamp: string; error: string };
    try {
      const code = await this.#bundle(source);
      const path = `${COMPILED_PREFIX}/${kind}/${name}.js`;
      const dest = join(this.#outDir, path);
      mkdirSync(join(this.#outDir, COMPILED_PREFIX, kind), { recursive: true });
      writeFileSync(`${dest}.tmp`, code);
      renameSync(`${dest}.tmp`, dest);
      const buf = readFileSync(dest);
      const sha256 = createHash('sha256').update(buf).digest('hex');
      result = { stamp, entry: { name, path, sha256, size: buf.byteLength } };
    } catch (err) {
      result = { stamp, error: firstLine((err as Error).message ?? String(err)) };
    }
    this.#done.set(key, result);
    return result;
  }
}

function firstLine(text: string): string {
  return text.split('\n').slice(0, 5).join('\n').slice(0, 2000);
}
