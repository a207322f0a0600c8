import type { ILoader } from 'nunjucks';
import { loadSaltYaml } from '../yaml/salt-yaml.js';
import { createSaltFilters, createSaltTests } from './jinja-filters.js';
import { prepareJinjaSource } from './jinja-source.js';
import { doTag, IMPORT_GLOBAL, LOAD_GLOBAL, serializerTags } from './jinja-tags.js';
import { loadJson } from './load-json.js';
import { nunjucks } from './nunjucks-compat.js';
import { isRelative, normalizePath, resolveRelative } from './paths.js';
import { templateError } from './template-error.js';

/** The template data of the current render pass. */
export interface PassData {
  grains: Readonly<Record<string, unknown>>;
  pillar: Readonly<Record<string, unknown>>;
  opts: Readonly<Record<string, unknown>>;
}

/** What a saltenv's Jinja environment reads through. */
export interface EnvironmentDeps {
  /** A file's text now, `undefined` when missing; throws to stop the pass while it is fetched. */
  fileNow: (saltenv: string, path: string) => string | undefined;
  /** A function's result now; throws to stop the pass while it is computed. */
  callNow: (fun: string, args: readonly unknown[]) => unknown;
  data: () => PassData;
}

/**
 * Makes the nunjucks environment of one saltenv for a render session: Salt's tags, filters,
 * tests and globals (`grains`, `pillar`, `opts`, `salt`, `saltenv`, `raise`), templates loaded
 * through the session's file cache with `salt://`/`brine://` and relative paths.
 */
export function createEnvironment(saltenv: string, deps: EnvironmentDeps): nunjucks.Environment {
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
  const filters = createSaltFilters(
    (name, value, args) => (env.getFilter(name) as (...a: unknown[]) => unknown)(value, ...args),
    (name, value, args) =>
      Boolean(
        (env as unknown as { getTest: (n: string) => (...a: unknown[]) => unknown }).getTest(name)(value, ...args),
      ),
  );
  for (const [name, filter] of Object.entries(filters)) env.addFilter(name, filter);
  const withTests = env as unknown as { addTest: (name: string, test: unknown) => void };
  for (const [name, test] of Object.entries(createSaltTests())) withTests.addTest(name, test);
  // Read at each lookup, so every render pass sees its own copy of the data.
  const globals = (env as unknown as { globals: Record<string, unknown> }).globals;
  for (const key of ['grains', 'pillar', 'opts'] as const) {
    Object.defineProperty(globals, key, { get: () => deps.data()[key], enumerable: true, configurable: true });
  }
  env.addGlobal('saltenv', saltenv);
  env.addGlobal('salt', saltFunctions(deps.callNow));
  env.addGlobal('raise', (message: unknown) => {
    throw new Error(String(message));
  });
  // Salt renders the imported file as a template (without the importer's context), then loads it.
  env.addGlobal(IMPORT_GLOBAL, (kind: string, name: unknown, from: string) => {
    const raw = String(name);
    const path = isRelative(raw) ? resolveRelative(from, raw) : normalizePath(raw);
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
