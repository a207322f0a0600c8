import { compileTarget, TargetType, type TargetTypeValue } from '@brine/protocol';
import { runStates$, type CompileResult, type FileReader, type StateResult } from '@brine/state';
import { lastValueFrom, tap } from 'rxjs';
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import { createStateContext } from '../states/context.js';
import type { StateFunction } from '../states/types.js';
import { compileRequest, type CompileRequest } from './compile-request.js';
import { engineRegistry } from './engine-registry.js';
import { masterFileReader } from './sls-files.js';
import { renderSetup } from './render-setup.js';
import type { StateLock } from './state-lock.js';

/**
 * What the `state.*` functions of one minion share: its state functions, its state-run lock,
 * where its pillar comes from, and (for `brine-call --local`) where its SLS files come from.
 */
export interface StateRuntime {
  states: ReadonlyMap<string, StateFunction>;
  lock: StateLock;
  /** The pillar the master compiled for this minion. @default `async () => ({})` */
  pillar: () => Promise<Record<string, unknown>>;
  /** Reads SLS files; by default the master's file server through the minion's cache. */
  readFile?: (ctx: ModuleContext) => FileReader;
  /** Extra template `opts` (`file_client: local`...). */
  opts?: Record<string, unknown>;
  /**
   * Runs before a highstate compiles, under the state-run lock: the minion's
   * `saltutil.sync_all` when a master is connected, as Salt syncs custom modules before a
   * highstate (issue #21). A failure is logged and the run goes on with what is installed.
   * @default nothing
   */
  beforeHighstate?: (ctx: ModuleContext) => Promise<void>;
}

/** The common arguments of the state-run functions. */
export interface RunArgs {
  test: boolean;
  pillar?: Record<string, unknown> | undefined;
  exclude?: unknown[] | undefined;
  queue: boolean;
  saltenv: string;
}

/** Salt's retcode for a run with a failed state (`salt-call --retcode-passthrough`). */
export const RETCODE_STATE_FAILED = 2;
/** Salt's retcode for SLS that does not render or compile, and for a refused run. */
export const RETCODE_COMPILE_FAILED = 1;

/** The file reader of a run: the runtime's, or the master's file server. */
export function readerFor(rt: StateRuntime, ctx: ModuleContext): FileReader {
  return rt.readFile?.(ctx) ?? masterFileReader(ctx.files, ctx.cacheDir);
}

/** The minion's own targeting, for top files: its id and grains against a target of a Salt match type. */
export function topMatcher(ctx: Pick<ModuleContext, 'grains'>): (target: string, matchType: string) => boolean {
  const grains = ctx.grains.all();
  const facts = { id: String(grains['id'] ?? ''), grains };
  return (target, matchType) => {
    // Salt's top files may name match types Brine lacks (`data`, `pillar`): they match nothing.
    if (!(Object.values(TargetType) as string[]).includes(matchType) || matchType === 'nodegroup') return false;
    const compiled = compileTarget(target, matchType as TargetTypeValue);
    return compiled.ok && compiled.match(facts);
  };
}

/** Compiles a request for this minion: renders with its grains and pillar, reads top files with its targeting. */
export async function compileFor(
  rt: StateRuntime,
  ctx: ModuleContext,
  request: CompileRequest,
  args: Pick<RunArgs, 'test' | 'pillar' | 'exclude' | 'saltenv'>,
): Promise<{ compiled: CompileResult; setup: ReturnType<typeof renderSetup> }> {
  const setup = renderSetup(ctx, {
    readFile: readerFor(rt, ctx),
    pillar: await rt.pillar(),
    override: args.pillar,
    saltenv: args.saltenv,
    test: args.test,
    ...(rt.opts === undefined ? {} : { opts: rt.opts }),
  });
  const compiled = await compileRequest(setup.session, request, {
    match: topMatcher(ctx),
    exclude: args.exclude ?? [],
  });
  return { compiled, setup };
}

/**
 * Runs a state request as one job: takes the minion's state-run lock (refusing, naming the
 * running jid, or waiting with `queue`), compiles, and runs the states, sending each result
 * as a `state` progress chunk the moment it is known. The return is Salt's: results keyed
 * `mod_|-id_|-name_|-fun` with retcode 2 when a state failed, or a list of error strings (each
 * naming file:line) with retcode 1 when the SLS did not render or compile.
 */
export async function runStateJob(
  rt: StateRuntime,
  ctx: ModuleContext,
  fun: string,
  request: CompileRequest,
  args: RunArgs,
): Promise<ModuleResult> {
  const holder = { jid: ctx.jid, fun, startedAt: Date.now() };
  let release: () => void;
  if (args.queue) {
    release = await rt.lock.acquire(holder, ctx.signal);
  } else {
    const got = rt.lock.tryAcquire(holder);
    if (!got.ok) {
      const h = got.holder;
      const message =
        `The function "${h.fun}" is running as jid ${h.jid} since ${new Date(h.startedAt).toISOString()}; ` +
        'run with queue=True to wait for it';
      return { ret: [message], retcode: RETCODE_COMPILE_FAILED, success: false };
    }
    release = got.release;
  }
  try {
    if (request.kind === 'highstate' && rt.beforeHighstate) {
      await rt
        .beforeHighstate(ctx)
        .catch((err: unknown) =>
          ctx.log.warn(
            { err: (err as Error)?.message },
            'sync before highstate failed; running with what is installed',
          ),
        );
    }
    const { compiled, setup } = await compileFor(rt, ctx, request, args);
    if (!compiled.ok) {
      return { ret: compiled.problems.map((p) => p.message), retcode: RETCODE_COMPILE_FAILED, success: false };
    }
    const stateCtx = createStateContext(ctx, {
      test: args.test,
      pillar: setup.pillar,
      render: (text, context) =>
        setup.session.renderText({ saltenv: args.saltenv, path: '<template>', source: text, context }),
    });
    const registry = engineRegistry(rt.states, stateCtx);
    const last = await lastValueFrom(
      runStates$(compiled.plan, registry, { test: args.test }).pipe(
        tap((e) => {
          if (e.type === 'state') ctx.emit('state', JSON.stringify({ key: e.key, result: e.result }));
        }),
      ),
    );
    const results = last.type === 'return' ? last.results : {};
    const failed = Object.values(results).some((r: StateResult) => r.result === false);
    return failed
      ? { ret: results, retcode: RETCODE_STATE_FAILED, success: false }
      : { ret: results, retcode: 0, success: true };
  } finally {
    release();
  }
}
