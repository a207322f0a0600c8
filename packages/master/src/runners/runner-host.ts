import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as zod from 'zod';
import type { Logger } from 'pino';
import type { RunnerDefinition, RunnerFunctionSpec } from '@brine/extend';
import { HOST_ZOD_KEY, type ExtendCompiler } from '../files/extend-compiler.js';

/** The runner functions the master serves, by `module.function`. */
export interface RunnerLookup {
  /** The runner function of that name, compiling and loading `_runners/` again when a file changed. */
  find(fun: string): Promise<RunnerFunctionSpec | undefined>;
}

/**
 * Loads the custom runners from `_runners/` in the file roots, compiled like minion extensions
 * and run in the master's process (a runner is the operator's own code, run as the calling
 * user's jobs). A runner file that fails to compile or load is logged and the others serve.
 */
export class RunnerHost implements RunnerLookup {
  readonly #compiler: Pick<ExtendCompiler, 'compile'>;
  readonly #outDir: string;
  readonly #log: Logger;
  readonly #loaded = new Map<string, { sha256: string; def: RunnerDefinition }>();

  constructor(options: { compiler: Pick<ExtendCompiler, 'compile'>; outDir: string; log: Logger }) {
    this.#compiler = options.compiler;
    this.#outDir = options.outDir;
    this.#log = options.log;
  }

  async find(fun: string): Promise<RunnerFunctionSpec | undefined> {
    const dot = fun.indexOf('.');
    if (dot <= 0) return undefined;
    await this.#refresh();
    const def = [...this.#loaded.values()].find((l) => l.def.name === fun.slice(0, dot))?.def;
    const name = fun.slice(dot + 1);
    return def && Object.hasOwn(def.functions, name) ? def.functions[name] : undefined;
  }

  async #refresh(): Promise<void> {
    (globalThis as Record<symbol, unknown>)[Symbol.for(HOST_ZOD_KEY)] = zod;
    const compiled = await this.#compiler.compile('runners');
    for (const e of compiled.errors) this.#log.warn({ runner: e.name, err: e.message }, 'runner failed to compile');
    const names = new Set(compiled.entries.map((e) => e.name));
    for (const name of [...this.#loaded.keys()]) if (!names.has(name)) this.#loaded.delete(name);
    for (const entry of compiled.entries) {
      if (this.#loaded.get(entry.name)?.sha256 === entry.sha256) continue;
      try {
        const url = `${pathToFileURL(join(this.#outDir, entry.path)).href}?v=${entry.sha256}`;
        const def = ((await import(url)) as { default?: RunnerDefinition }).default;
        if (!def || typeof def.name !== 'string' || typeof def.functions !== 'object')
          throw new Error('the default export is not a runner definition');
        this.#loaded.set(entry.name, { sha256: entry.sha256, def });
      } catch (err) {
        this.#loaded.delete(entry.name);
        this.#log.warn({ runner: entry.name, err: (err as Error)?.message }, 'runner failed to load');
      }
    }
  }
}
