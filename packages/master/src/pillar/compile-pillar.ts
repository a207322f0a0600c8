import {
  bindArgs,
  createRenderSession,
  createTemplateFunctions,
  isMapping,
  loadSaltYaml,
  slsCandidates,
  slsContext,
  StateErrorCode,
  topMatches,
  type LoadedYaml,
  type RenderSession,
  type StateProblem,
} from '@brine/state';
import {
  compileTarget,
  TargetType,
  type TargetMatcher,
  type TargetOptions,
  type TargetTypeValue,
} from '@brine/protocol';
import { decryptTree, holdsEncrypted, type AgeKeys } from './age-secrets.js';
import { PillarError, PillarErrorCode } from './errors.js';
import type { ExternalPillar, PillarMinion } from './external-pillar.js';
import { mergePillar, type MergeStrategyValue } from './merge.js';
import type { FileStamps, PillarFiles } from './pillar-files.js';

/** What the compiler reads and how it merges: the master's pillar config, made once. */
export interface PillarCompilerOptions {
  files: PillarFiles;
  external: readonly ExternalPillar[];
  /** The master's age keys; without them an encrypted value fails the compile, saying why. */
  keys: AgeKeys | undefined;
  strategy: MergeStrategyValue;
  mergeLists: boolean;
  targetOptions: TargetOptions;
  /**
   * `salt['mine.get'](tgt, fun, tgt_type)` in pillar templates, read as the compiled minion (the
   * mine's access rules apply to it). A pillar that calls it is not cached: the mine changes
   * without any file changing. @default none: the call fails the compile
   */
  mineGet?: (reader: string, query: { tgt: string | string[]; fun: string; tgtType: TargetTypeValue }) => unknown;
}

/** A compiled pillar, or why it did not compile; `stamps` are the files it read, for the cache. */
export type PillarResult = (
  { ok: true; pillar: Record<string, unknown> } | { ok: false; error: { code: string; message: string } }
) & { stamps: FileStamps; cacheable: boolean };

const TOP_TYPES: ReadonlySet<string> = new Set(Object.values(TargetType));

interface Compile {
  session: RenderSession;
  problems: StateProblem[];
  /** SLS already rendered in this compile (`env:sls`): each once, and include cycles end. */
  mods: Set<string>;
}

/**
 * Compiles pillar on the master, one minion at a time, as Salt's `Pillar.compile_pillar`: the
 * top files of `pillar_roots` (`base` first) assign SLS by any target type; each SLS is rendered
 * (Jinja, then YAML) with this minion's grains, `grains.id` and `opts.id` forced to its
 * authenticated id, and `saltenv`; `include:` is resolved with the including file's values winning;
 * files merge in top order with the configured strategy; encrypted values are decrypted; then the
 * external sources merge in. Compiled target matchers are kept for the compiler's life, so 10,000
 * minions compile each top-file target once.
 */
export class PillarCompiler {
  readonly #o: PillarCompilerOptions;
  readonly #matchers = new Map<string, TargetMatcher | undefined>();
  /** Parsed plain-YAML files (no Jinja, no `#!`), by saltenv and path, with the text they came from. */
  readonly #plain = new Map<string, { text: string; loaded: LoadedYaml }>();

  constructor(options: PillarCompilerOptions) {
    this.#o = options;
  }

  /** Compiles one minion's pillar; `saltenv` limits it to that environment's top section. */
  async compile(minion: PillarMinion, saltenv?: string): Promise<PillarResult> {
    const o = this.#o;
    const stamps: FileStamps = new Map();
    let cacheable = o.external.every((e) => e.cacheable);
    const grains = { ...minion.grains, id: minion.id };
    const opts = { id: minion.id, ...(saltenv === undefined ? {} : { saltenv }) };
    const helpers = createTemplateFunctions({ grains, pillar: {}, opts });
    const session = createRenderSession({
      readFile: o.files.reader(stamps),
      call: (fun, args, kwargs) => {
        if (fun === 'mine.get' && o.mineGet !== undefined) {
          cacheable = false;
          const a = bindArgs(['tgt', 'fun', 'tgt_type'], args, kwargs);
          const tgtType = (typeof a['tgt_type'] === 'string' ? a['tgt_type'] : 'glob') as TargetTypeValue;
          return o.mineGet(minion.id, { tgt: a['tgt'] as string | string[], fun: String(a['fun']), tgtType });
        }
        const fn = helpers[fun];
        if (fn === undefined) throw new Error(`${fun} is not available while compiling pillar`);
        return fn(args, kwargs);
      },
      grains,
      pillar: {},
      opts,
      // `#!yaml|age`: encrypted values are decrypted after rendering, wherever they are.
      dataRenderers: { age: (data) => data },
    });
    const c: Compile = { session, problems: [], mods: new Set() };
    try {
      const envs = o.strategy === 'none' ? [saltenv ?? 'base'] : o.files.envs;
      const top = await topMatches(session, {
        envs,
        match: (target, type) => this.#match(target, type, c.problems)({ id: minion.id, grains }),
        ...(saltenv === undefined ? {} : { saltenv }),
      });
      c.problems.push(...top.problems);
      let pillar: Record<string, unknown> = {};
      for (const { env, sls } of top.matches) {
        const data = await this.#renderSls(c, env, sls);
        if (data !== undefined) pillar = this.#merge(pillar, data);
      }
      if (c.problems.length > 0) return { ok: false, error: compileError(c.problems), stamps, cacheable };
      for (const source of o.external) {
        for (const part of await source.compile(minion, pillar, stamps)) {
          const data = holdsEncrypted(part.data) ? await decryptTree(part.data, part.origin, o.keys) : part.data;
          pillar = this.#merge(pillar, data as Record<string, unknown>);
        }
      }
      return { ok: true, pillar, stamps, cacheable };
    } catch (err) {
      if (err instanceof PillarError)
        return { ok: false, error: { code: err.code, message: err.message }, stamps, cacheable };
      throw err;
    }
  }

  /**
   * A file with no Jinja and no `#!` line renders the same for every minion: parse it once per
   * text (merging copies, so the parsed data is never changed). Measured: most SLS of a fleet's
   * pillar are plain data, and nunjucks compiles a template per render session.
   */
  #plainYaml(env: string, file: string, text: string): LoadedYaml | undefined {
    if (text.startsWith('#!') || /\{[{%#]/.test(text)) return undefined;
    const key = `${env}\0${file}`;
    const known = this.#plain.get(key);
    if (known?.text === text) return known.loaded;
    const loaded = loadSaltYaml(text, file);
    this.#plain.set(key, { text, loaded });
    return loaded;
  }

  #merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
    return mergePillar(a, b, { strategy: this.#o.strategy, mergeLists: this.#o.mergeLists });
  }

  #match(target: string, type: string, problems: StateProblem[]): TargetMatcher {
    const key = `${type}\0${target}`;
    if (!this.#matchers.has(key)) {
      let matcher: TargetMatcher | undefined;
      if (TOP_TYPES.has(type)) {
        const compiled = compileTarget(target, type as TargetTypeValue, this.#o.targetOptions);
        matcher = compiled.ok ? compiled.match : undefined;
      }
      this.#matchers.set(key, matcher);
    }
    const matcher = this.#matchers.get(key);
    if (matcher !== undefined) return matcher;
    problems.push({
      code: StateErrorCode.TOP,
      message: `top.sls: target ${JSON.stringify(target)} (match: ${type}) is not a valid target`,
      file: 'top.sls',
    });
    return () => false;
  }

  /** Renders one SLS with its includes (theirs first, its own values last and winning); `undefined` if it failed. */
  async #renderSls(c: Compile, env: string, sls: string): Promise<Record<string, unknown> | undefined> {
    const mod = `${env}:${sls}`;
    if (c.mods.has(mod)) return undefined;
    c.mods.add(mod);
    const candidates = slsCandidates(sls);
    let file: string | undefined;
    let source: string | undefined;
    for (const candidate of candidates) {
      source = await c.session.read(env, candidate);
      if (source !== undefined) {
        file = candidate;
        break;
      }
    }
    if (file === undefined) {
      c.problems.push({
        code: StateErrorCode.SLS_NOT_FOUND,
        message: `Specified SLS '${sls}' in environment '${env}' is not available on the master (no ${candidates.join(' or ')})`,
      });
      return undefined;
    }
    let rendered;
    try {
      rendered =
        this.#plainYaml(env, file, source!) ??
        (await c.session.renderData({ saltenv: env, path: file, context: slsContext(sls, file) }));
    } catch (err) {
      c.problems.push(asProblem(err, file));
      return undefined;
    }
    const raw = rendered.data ?? {};
    if (!isMapping(raw)) {
      c.problems.push({
        code: StateErrorCode.STRUCTURE,
        message: `${file}:1: pillar SLS did not render to a mapping`,
        file,
      });
      return undefined;
    }
    const { include, ...own } = raw;
    const data = holdsEncrypted(own) ? ((await decryptTree(own, file, this.#o.keys)) as Record<string, unknown>) : own;
    if (include === undefined) return data;
    const includeLine = rendered.keyLines.get('include');
    const parts: Record<string, unknown>[] = [];
    for (const entry of Array.isArray(include) ? include : [include]) {
      const spec = includeSpec(entry);
      if (spec === undefined) {
        c.problems.push({
          code: StateErrorCode.INCLUDE,
          message: `${file}:${includeLine ?? 1}: an include is a name or {name: {key: ...}}`,
          file,
        });
        continue;
      }
      const name = resolveInclude(spec.name, sls, file);
      let nested = await this.#renderSls(c, env, name);
      if (nested === undefined) continue;
      if (spec.key !== undefined) for (const k of spec.key.split(':').reverse()) nested = { [k]: nested };
      parts.push(nested);
    }
    let merged: Record<string, unknown> = {};
    for (const part of [...parts, data]) merged = this.#merge(merged, part);
    return merged;
  }
}

function includeSpec(entry: unknown): { name: string; key?: string } | undefined {
  if (typeof entry === 'string') return { name: entry };
  if (!isMapping(entry)) return undefined;
  const [name, opts] = Object.entries(entry)[0] ?? [];
  if (name === undefined) return undefined;
  const key = isMapping(opts) && typeof opts['key'] === 'string' ? opts['key'] : undefined;
  return key === undefined ? { name } : { name, key };
}

/** Salt's relative include: `.x` is beside this SLS, `..x` one package up. */
function resolveInclude(name: string, sls: string, file: string): string {
  const dots = /^\.+/.exec(name)?.[0].length ?? 0;
  if (dots === 0) return name;
  const pkg = sls.split('.');
  if (!file.endsWith('/init.sls')) pkg.pop();
  return [...pkg.slice(0, Math.max(0, pkg.length - (dots - 1))), name.slice(dots)].filter((p) => p !== '').join('.');
}

function asProblem(err: unknown, file: string): StateProblem {
  const e = err as { toProblem?: () => StateProblem; message?: string } | null;
  if (typeof e?.toProblem === 'function') return e.toProblem();
  if (err instanceof PillarError) throw err;
  return { code: StateErrorCode.TEMPLATE, message: `${file}: ${e?.message ?? String(err)}`, file };
}

/** One error for every problem: `file:line: reason`, one per line, as `pillar.items` shows it. */
function compileError(problems: readonly StateProblem[]): { code: string; message: string } {
  // The engine's messages already name their file; prefix only those that do not.
  const lines = problems.map((p) => {
    if (p.file === undefined || p.message.includes(p.file)) return p.message;
    return `${p.file}${p.line === undefined ? '' : `:${p.line}`}: ${p.message}`;
  });
  return { code: PillarErrorCode.COMPILE, message: `pillar did not compile:\n${lines.join('\n')}` };
}
