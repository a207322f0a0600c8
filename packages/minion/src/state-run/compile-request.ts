import {
  compileHighData,
  compileHighstate,
  compileSingle,
  compileSls,
  REQUISITES,
  REQUISITES_IN,
  StateErrorCode,
  type CompileResult,
  type HighData,
  type RenderSession,
  type TopMatcher,
} from '@brine/state';

/** What a state function asks to compile. */
export type CompileRequest =
  | { kind: 'highstate'; envs: string[]; saltenv?: string }
  | { kind: 'sls'; mods: string[]; saltenv: string }
  | { kind: 'sls_id'; id: string; mods: string[]; saltenv: string }
  | { kind: 'single'; fun: string; args: Record<string, unknown>; saltenv: string };

/** Compiles a state run's request with its render session; `match` is the minion's own targeting. */
export async function compileRequest(
  session: RenderSession,
  request: CompileRequest,
  options: { match: TopMatcher; exclude: readonly unknown[] },
): Promise<CompileResult> {
  const compileOptions = { exclude: options.exclude };
  switch (request.kind) {
    case 'highstate':
      return compileHighstate(
        session,
        {
          envs: request.envs,
          match: options.match,
          ...(request.saltenv === undefined ? {} : { saltenv: request.saltenv }),
        },
        compileOptions,
      );
    case 'sls':
      return compileSls(
        session,
        request.mods.map((sls) => ({ env: request.saltenv, sls })),
        compileOptions,
      );
    case 'sls_id': {
      const full = await compileSls(
        session,
        request.mods.map((sls) => ({ env: request.saltenv, sls })),
        compileOptions,
      );
      if (!full.ok) return full;
      return compileOneId(full.high, request.id, request.mods);
    }
    case 'single':
      return compileSingle(request.fun, request.args, request.saltenv);
  }
}

const REQUISITE_KEYS = new Set<string>([...REQUISITES, ...REQUISITES_IN]);

/**
 * The state `id` alone, without its requisites, as Salt's `state.sls_id` runs it (extends and
 * `_in` requisites of the other states are already applied to it).
 */
function compileOneId(high: HighData, id: string, mods: readonly string[]): CompileResult {
  const state = high.states.get(id);
  if (state === undefined) {
    return {
      ok: false,
      problems: [
        { code: StateErrorCode.STRUCTURE, message: `No matches for ID '${id}' found in SLS '${mods.join(',')}'` },
      ],
    };
  }
  const decls = new Map<string, unknown[]>();
  for (const [mod, args] of state.decls) {
    decls.set(
      mod,
      args.filter((a) => {
        if (typeof a !== 'object' || a === null) return true;
        return !Object.keys(a).some((k) => REQUISITE_KEYS.has(k));
      }),
    );
  }
  return compileHighData({ states: new Map([[id, { ...state, decls }]]), extend: [], exclude: [] });
}
