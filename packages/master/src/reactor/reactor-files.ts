import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { createRenderSession, StateError } from '@brine/state';
import { compileReactions, type Reaction } from '../core/reactor/reactions.js';
import { AutomationErrorCode, ReactorError } from './errors.js';

/** Where a reactor SLS is read from: `/abs/path.sls`, or `brine://path.sls` in the file roots. */
export interface ReactorFileOptions {
  fileRoots: readonly string[];
}

/** The context a reactor SLS is rendered with: Salt's `tag` and `data`. */
export interface ReactorContext {
  tag: string;
  data: unknown;
}

// The render session's saltenv says which lookup a path takes: absolute, or through the file roots.
const ABSOLUTE = 'abs';
const ROOTS = 'base';

function locate(file: string): { saltenv: string; path: string } {
  if (/^(?:brine|salt):\/\//.test(file)) return { saltenv: ROOTS, path: file };
  return { saltenv: ABSOLUTE, path: file };
}

async function readOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Renders one reactor SLS (Jinja, then YAML, through `@brine/state`) with `tag` and `data` and
 * compiles its reactions. The file is read at each call, so an edit takes effect at the next
 * event without a restart (Salt caches for `reactor_refresh_interval`). Templates cannot call
 * execution functions: the reactor runs on the master, where no minion functions exist.
 * Rejects with {@link ReactorError} naming the file (and line, when known).
 */
export async function renderReactions(
  file: string,
  context: ReactorContext,
  o: ReactorFileOptions,
): Promise<Reaction[]> {
  const session = createRenderSession({
    readFile: async (saltenv, path) => {
      if (saltenv === ABSOLUTE) return readOrUndefined(`/${path}`);
      for (const root of o.fileRoots) {
        const text = await readOrUndefined(join(root, path));
        if (text !== undefined) return text;
      }
      return undefined;
    },
    call: (fun) => {
      throw new Error(`reactor templates cannot call execution functions (${fun})`);
    },
  });
  const where = locate(file);
  if (where.saltenv === ABSOLUTE && !isAbsolute(file))
    throw new ReactorError(AutomationErrorCode.sls, `${file}: a reactor SLS is an absolute path or brine://path`);
  let data: unknown;
  try {
    data = (await session.renderData({ ...where, context: { tag: context.tag, data: context.data } })).data;
  } catch (err) {
    // The engine names files root-relative (`srv/reactor/a.sls`); a person wrote `/srv/reactor/a.sls`.
    const relative = file.replace(/^(?:brine|salt):\/\/|^\/+/, '');
    const message = (err as Error).message.split(relative).join(file);
    const line = err instanceof StateError && err.line !== undefined ? `:${err.line}` : '';
    throw new ReactorError(AutomationErrorCode.sls, message.includes(file) ? message : `${file}${line}: ${message}`, {
      cause: err,
    });
  }
  const compiled = compileReactions(data);
  if (!compiled.ok) {
    const id = compiled.problem.id === undefined ? '' : ` reaction '${compiled.problem.id}'`;
    throw new ReactorError(AutomationErrorCode.sls, `${file}:${id} ${compiled.problem.message}`);
  }
  return compiled.reactions;
}
