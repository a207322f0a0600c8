import { StateErrorCode, where, type StateProblem } from '../errors.js';
import { isMapping } from '../helpers/data.js';
import type { ExtendEntry, HighState } from './types.js';

/** Where a rendered SLS came from. */
export interface SlsMeta {
  sls: string;
  env: string;
  file: string;
  keyLines: ReadonlyMap<string, number>;
}

/** One rendered SLS file, split into its parts. */
export interface SlsParts {
  states: HighState[];
  include: unknown[];
  extend: ExtendEntry[];
  exclude: unknown[];
  problems: StateProblem[];
}

function structure(meta: SlsMeta, line: number | undefined, message: string): StateProblem {
  return {
    code: StateErrorCode.STRUCTURE,
    message: `${message} (${where(meta.file, line)})`,
    file: meta.file,
    ...(line === undefined ? {} : { line }),
  };
}

/**
 * Turns a state body into `module -> args`, as Salt's `_handle_state_decls`: `pkg.installed:
 * [args]` becomes `pkg: [args..., 'installed']`, `pkg: [installed, args]` stays, and the short
 * form `id: pkg.installed` becomes `pkg: ['installed']`. A declaration with no arguments
 * (`pkg.installed:` with nothing after it) is taken as an empty list, where Salt refuses it.
 */
export function readDecls(
  id: string,
  body: unknown,
  report: (message: string) => void,
): Map<string, unknown[]> | undefined {
  const decls = new Map<string, unknown[]>();
  if (typeof body === 'string' && body.includes('.')) {
    const [mod, fun] = body.split('.', 2) as [string, string];
    return decls.set(mod, [fun]);
  }
  if (!isMapping(body)) {
    report(`ID '${id}' is not a dictionary`);
    return undefined;
  }
  for (const [key, raw] of Object.entries(body)) {
    if (key.startsWith('_')) continue;
    const value = raw === null ? [] : raw;
    if (!Array.isArray(value)) {
      report(`State '${key}' in ID '${id}' is not formed as a list`);
      continue;
    }
    const dot = key.indexOf('.');
    if (dot === -1) {
      decls.set(key, [...(decls.get(key) ?? []), ...(value as unknown[])]);
      continue;
    }
    const mod = key.slice(0, dot);
    if (decls.has(mod)) {
      report(`ID '${id}' contains multiple state declarations of the same type (${mod})`);
      continue;
    }
    decls.set(mod, [...(value as unknown[]), key.slice(dot + 1)]);
  }
  return decls;
}

/**
 * Splits rendered SLS data into its state IDs, `include`, `extend` and `exclude`, checking
 * the shape as Salt's `render_state` does and collecting every problem (not only the first).
 */
export function readSlsData(data: unknown, meta: SlsMeta): SlsParts {
  const parts: SlsParts = { states: [], include: [], extend: [], exclude: [], problems: [] };
  if (data === null || data === undefined) return parts;
  if (!isMapping(data)) {
    parts.problems.push(structure(meta, undefined, `SLS ${meta.sls} does not render to a dictionary`));
    return parts;
  }
  for (const [id, body] of Object.entries(data)) {
    const line = meta.keyLines.get(id);
    const report = (message: string) => parts.problems.push(structure(meta, line, message));
    if (id === 'include') {
      if (Array.isArray(body)) parts.include.push(...(body as unknown[]));
      else report(`Include Declaration in SLS ${meta.sls} is not formed as a list`);
    } else if (id === 'exclude') {
      if (Array.isArray(body)) parts.exclude.push(...(body as unknown[]));
      else report(`Exclude Declaration in SLS ${meta.sls} is not formed as a list`);
    } else if (id === 'extend') {
      if (!isMapping(body)) {
        report(`Extension value in SLS '${meta.sls}' is not a dictionary`);
        continue;
      }
      for (const [extId, extBody] of Object.entries(body)) {
        const extLine = meta.keyLines.get(`extend\0${extId}`) ?? line;
        const decls = readDecls(extId, extBody, report);
        if (decls !== undefined) parts.extend.push({ id: extId, decls, sls: meta.sls, file: meta.file, line: extLine });
      }
    } else {
      const decls = readDecls(id, body, report);
      if (decls !== undefined) parts.states.push({ id, sls: meta.sls, env: meta.env, file: meta.file, line, decls });
    }
  }
  return parts;
}
