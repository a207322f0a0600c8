import type { ILoader } from 'nunjucks';
import { StateError, StateErrorCode } from '../errors.js';
import { loadSaltYaml, type LoadedYaml } from '../yaml/salt-yaml.js';
import { createSaltFilters, createSaltTests, splitKeywords } from './jinja-filters.js';
import { doTag, IMPORT_GLOBAL, LOAD_GLOBAL, serializerTags } from './jinja-tags.js';
import { nunjucks } from './nunjucks-compat.js';
import { isRelative, normalizePath, resolveRelative } from './paths.js';
import { templateError } from './template-error.js';
import { loadJson } from './load-json.js';
import { prepareJinjaSource } from './jinja-source.js';

/**
 * Reads a file of the file root of `saltenv` (`path` is root-relative, no scheme). Resolves
 * `undefined` when there is no such file; rejects only when the reading itself failed.
 */
export type FileReader = (saltenv: string, path: string) => Promise<string | undefined>;

/**
 * Calls an execution function for a template (`salt['cmd.run']('hostname')`). It may answer
 * at once (pure helpers such as `grains.filter_by`) or with a promise (anything doing I/O).
 */
export type FunctionCaller = (
  fun: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
) => unknown;

/** A renderer applied after YAML or JSON (a `#!yaml|gpg`-style stage), data in and data out. */
export type DataRenderer = (data: unknown, file: string) => unknown;

/** What a render session is given. */
export interface RenderSessionOptions {
  readFile: FileReader;
  call: FunctionCaller;
  grains?: Readonly<Record<string, unknown>>;
  pillar?: Readonly<Record<string, unknown>>;
  opts?: Readonly<Record<string, unknown>>;
  /** Extra data stages by shebang name. */
  dataRenderers?: Readonly<Record<string, DataRenderer>>;
  /** How often one template may restart to wait for a file or a function. @default 500 */
  maxPasses?: number;
}

/** A request to render one file. */
export interface RenderRequest {
  saltenv: string;
  /** Root-relative path of the file. */
  path: string;
  /** Template variables besides the session's (`sls`, `tpldir`..., or `file.managed`'s `context`). */
  context?: Readonly<Record<string, unknown>>;
  /** The text to render instead of the file's (the file's path still names errors and anchors relative imports). */
  source?: string;
}

/** Rendered data, with the line of each top-level key when the last stage was YAML. */
export type RenderedData = LoadedYaml;

/**
 * Renders files for one state run (or one pillar compile): Jinja through nunjucks, then YAML
 * or JSON, chosen by the file's `#!` line. Files and function results are cached for the
 * session, so build one per run: its caches are its only state.
 */
export interface RenderSession {
  /** Renders a file through its renderer pipeline (default `jinja|yaml`) into data. */
  renderData(request: RenderRequest): Promise<RenderedData>;
  /** Renders a file as a Jinja template into text (`file.managed` with `template: jinja`). */
  renderText(request: RenderRequest): Promise<string>;
  /** Reads a file through the session's cache; `undefined` when it does not exist. */
  read(saltenv: string, path: string): Promise<string | undefined>;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Thrown inside a render pass to stop it until a file or a function result has arrived. */
class PendingSignal extends Error {}

/**
 * Makes a {@link RenderSession}. nunjucks renders synchronously, while files and functions
 * answer asynchronously; a render pass that needs something not yet known starts fetching it
 * and stops, and the pass is run again once it has arrived. Every value a pass used is then
 * known, so functions run in the order the template calls them, each once per distinct
 * arguments, and nothing runs on a branch the finished render would not take.
 */
export function createRenderSession(options: RenderSessionOptions): RenderSession {
  const files = new Map<string, Settled>();
  const calls = new Map<string, Settled>();
  const envs = new Map<string, nunjucks.Environment>();
  const waiting: { promise: Promise<void> | undefined } = { promise: undefined };
  const maxPasses = options.maxPasses ?? 500;

  const wait = (promise: Promise<unknown>, store: (s: Settled) => void): never => {
    waiting.promise = promise.then(
      (value) => store({ ok: true, value }),
      (error: unknown) => store({ ok: false, error }),
    );
    throw new PendingSignal('waiting');
  };

  const fileNow = (saltenv: string, path: string): string | undefined => {
    const key = `${saltenv}\0${path}`;
    const known = files.get(key);
    if (known === undefined) return wait(options.readFile(saltenv, path), (s) => files.set(key, s));
    if (!known.ok) throw known.error;
    return known.value as string | undefined;
  };

  const callNow = (fun: string, raw: readonly unknown[]): unknown => {
    const { args, kwargs } = splitKeywords(raw);
    const key = JSON.stringify([fun, args, kwargs]);
    const known = calls.get(key);
    if (known !== undefined) {
      if (known.ok) return known.value;
      throw known.error;
    }
    const value = options.call(fun, args, kwargs);
    if (typeof (value as PromiseLike<unknown> | null)?.then !== 'function') return value;
    return wait(Promise.resolve(value), (s) => calls.set(key, s));
  };

  const envFor = (saltenv: string): nunjucks.Environment => {
    const existing = envs.get(saltenv);
    if (existing !== undefined) return existing;
    const env = createEnvironment(saltenv, { options, fileNow, callNow });
    envs.set(saltenv, env);
    return env;
  };

  const sourceOf = (saltenv: string) => (path: string) => {
    const known = files.get(`${saltenv}\0${path}`);
    return known?.ok === true ? (known.value as string | undefined) : undefined;
  };

  const renderText = async (request: RenderRequest): Promise<string> => {
    const path = normalizePath(request.path);
    const source = request.source ?? (await read(request.saltenv, path));
    if (source === undefined)
      throw new StateError(StateErrorCode.SLS_NOT_FOUND, `template ${path} not found`, { file: path });
    const env = envFor(request.saltenv);
    const template = new nunjucks.Template(prepareJinjaSource(source), env, path);
    for (let pass = 0; pass < maxPasses; pass++) {
      waiting.promise = undefined;
      try {
        const text = template.render({ ...request.context });
        if (waiting.promise === undefined) return text;
      } catch (err) {
        if (waiting.promise === undefined) throw templateError(err, path, sourceOf(request.saltenv));
      }
      await waiting.promise;
    }
    throw new StateError(StateErrorCode.TEMPLATE, `Jinja error in ${path}: more than ${maxPasses} files and calls`, {
      file: path,
    });
  };

  const read = async (saltenv: string, path: string): Promise<string | undefined> => {
    const key = `${saltenv}\0${path}`;
    if (!files.has(key)) {
      try {
        files.set(key, { ok: true, value: await options.readFile(saltenv, path) });
      } catch (error) {
        files.set(key, { ok: false, error });
      }
    }
    const known = files.get(key)!;
    if (!known.ok) throw known.error;
    return known.value as string | undefined;
  };

  const renderData = async (request: RenderRequest): Promise<RenderedData> => {
    const path = normalizePath(request.path);
    const source = request.source ?? (await read(request.saltenv, path));
    if (source === undefined) throw new StateError(StateErrorCode.SLS_NOT_FOUND, `${path} not found`, { file: path });
    const { stages, body } = splitShebang(source);
    let text = body;
    let result: RenderedData | undefined;
    for (const stage of stages) {
      if (stage === 'jinja') text = await renderText({ ...request, path, source: text });
      else if (stage === 'yaml') result = loadSaltYaml(text, path);
      else if (stage === 'json') result = { data: loadJson(text, path), keyLines: new Map() };
      else if (options.dataRenderers?.[stage] !== undefined && result !== undefined)
        result = { ...result, data: options.dataRenderers[stage](result.data, path) };
      else
        throw new StateError(StateErrorCode.RENDERER_UNKNOWN, `${path}:1: unknown renderer '${stage}'`, {
          file: path,
          line: 1,
        });
    }
    if (result === undefined)
      throw new StateError(StateErrorCode.RENDERER_UNKNOWN, `${path}:1: no data renderer (yaml or json)`, {
        file: path,
        line: 1,
      });
    return result;
  };

  return { renderData, renderText, read };
}

/** The renderer stages of a file and its text without the `#!` line (kept blank, so lines still count from 1). */
export function splitShebang(source: string): { stages: string[]; body: string } {
  if (!source.startsWith('#!')) return { stages: ['jinja', 'yaml'], body: source };
  const end = source.indexOf('\n');
  const line = end === -1 ? source : source.slice(0, end);
  const stages = line
    .slice(2)
    .trim()
    .split('|')
    .map((s) => s.trim().split(/\s+/)[0]!)
    .filter((s) => s !== '');
  return { stages, body: end === -1 ? '' : source.slice(end) };
}

interface EnvironmentDeps {
  options: RenderSessionOptions;
  fileNow: (saltenv: string, path: string) => string | undefined;
  callNow: (fun: string, args: readonly unknown[]) => unknown;
}

function createEnvironment(saltenv: string, deps: EnvironmentDeps): nunjucks.Environment {
  const loader: ILoader & { isRelative: (n: string) => boolean; resolve: (a: string, b: string) => string } = {
    getSource: (name: string) => {
      const path = normalizePath(name);
      const src = deps.fileNow(saltenv, path);
      if (src === undefined) return null as never;
      const prepared = prepareJinjaSource(src);
      checkSyntax(prepared, env, path);
      return { src: prepared, path, noCache: false };
    },
    isRelative,
    resolve: resolveRelative,
  };
  const env = new nunjucks.Environment(loader, {
    autoescape: false,
    throwOnUndefined: true,
    // Keeps nunjucks' own error object (line, cause) instead of a copy holding only text.
    dev: true,
  });
  env.addExtension('serializers', serializerTags);
  env.addExtension('do', doTag);
  const filters = createSaltFilters((name, value, args) =>
    (env.getFilter(name) as (...a: unknown[]) => unknown)(value, ...args),
  );
  for (const [name, filter] of Object.entries(filters)) env.addFilter(name, filter);
  const withTests = env as unknown as { addTest: (name: string, test: unknown) => void };
  for (const [name, test] of Object.entries(createSaltTests())) withTests.addTest(name, test);
  env.addGlobal('grains', deps.options.grains ?? {});
  env.addGlobal('pillar', deps.options.pillar ?? {});
  env.addGlobal('opts', deps.options.opts ?? {});
  env.addGlobal('saltenv', saltenv);
  env.addGlobal('salt', saltFunctions(deps.callNow));
  env.addGlobal('raise', (message: unknown) => {
    throw new Error(String(message));
  });
  env.addGlobal(IMPORT_GLOBAL, function (this: { ctx?: Record<string, unknown> }, kind: string, name: unknown) {
    const tpldir = typeof this.ctx?.['tpldir'] === 'string' ? this.ctx['tpldir'] : '';
    const raw = String(name);
    const path = isRelative(raw) ? resolveRelative(`${tpldir}/x`, raw) : normalizePath(raw);
    const text = env.getTemplate(path).render({});
    return parseAs(kind, text, path);
  });
  env.addGlobal(LOAD_GLOBAL, (kind: string, text: unknown) => parseAs(kind, String(text), '<load>'));
  return env;
}

function parseAs(kind: string, text: string, path: string): unknown {
  if (kind === 'yaml') return loadSaltYaml(text, path).data;
  if (kind === 'json') return loadJson(text, path);
  return text;
}

/**
 * The `salt` template variable: `salt['mod.fun'](...)` and `salt.mod.fun(...)` both call the
 * function caller. A Proxy, because the set of functions is the caller's, not known here.
 */
function saltFunctions(callNow: (fun: string, args: readonly unknown[]) => unknown): object {
  const fn =
    (name: string) =>
    (...args: unknown[]) =>
      callNow(name, args);
  const module = (mod: string) =>
    new Proxy({}, { get: (_, key) => (typeof key === 'string' && key !== 'then' ? fn(`${mod}.${key}`) : undefined) });
  return new Proxy(
    {},
    {
      get: (_, key) => {
        if (typeof key !== 'string' || key === 'then' || key === 'toJSON') return undefined;
        return key.includes('.') ? fn(key) : module(key);
      },
    },
  );
}

/**
 * Compiles an imported template once to report its syntax errors under its own name: nunjucks
 * would name the importing file with the imported file's line.
 */
function checkSyntax(source: string, env: nunjucks.Environment, path: string): void {
  try {
    new nunjucks.Template(source, env, path, true);
  } catch (err) {
    throw templateError(err, path, () => source);
  }
}
