import { z } from 'zod';
import type { BeaconDefinition, GrainsDefinition } from '@brine/extend';
import { ErrorCode } from '@brine/protocol';
import { CancelledError, MinionError } from '../errors.js';
import type { ModuleDefinition } from '../modules/types.js';
import { pillarOf } from '../states/context.js';
import type { StateContext, StateModuleDefinition, StateResult } from '../states/types.js';
import type { FunctionInfo, Manifest } from './extension-manifest.js';
import type { CallHost, CallRequest, ModuleWorker } from './module-worker.js';
import { answerState } from './worker-rpc.js';
import type { StateSnapshot, WorkerError } from './worker-protocol.js';

/** The worker an extension's stand-in sends its calls to. */
export type Isolate = Pick<ModuleWorker, 'invoke'>;

/**
 * A stand-in schema with the real one's argument names, for the main thread's `prepareCall` and
 * the state engine (which refuse or warn about unknown names): it passes every value through,
 * and the worker validates them with the file's own schema (schemas do not cross threads).
 */
export function standInSchema(info: Pick<FunctionInfo, 'keys'>): z.ZodType {
  if (!info.keys) return z.object({}).catchall(z.unknown());
  return z.object(Object.fromEntries(info.keys.map((k) => [k, z.unknown().optional()])));
}

const noRpc: CallHost['answer'] = (op) => Promise.reject(new Error(`${op} is not available here`));

/**
 * Runs one call in the worker; settles at once when `host.signal` aborts (the worker is told
 * and terminated after its grace), so a loop in custom code never holds the caller. Rejects with
 * an `Error` (a {@link MinionError} `ERR_ARGS_INVALID` for arguments the file's schema refused),
 * with the author's stack kept.
 */
export async function callIsolated(worker: Isolate, req: CallRequest, host: CallHost): Promise<unknown> {
  let detach = () => {};
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(new CancelledError(`${req.fn || req.op} was stopped at its deadline`));
    if (host.signal.aborted) return onAbort();
    host.signal.addEventListener('abort', onAbort, { once: true });
    detach = () => host.signal.removeEventListener('abort', onAbort);
  });
  try {
    return await Promise.race([worker.invoke(req, host), aborted]);
  } catch (err) {
    if (err instanceof Error) throw err;
    throw asError(err as WorkerError);
  } finally {
    detach();
  }
}

/** A worker's error as a thrown `Error`, its code and the author's stack kept. */
export function asError(e: WorkerError): Error {
  if (e.code === ErrorCode.ARGS_INVALID) return new MinionError(ErrorCode.ARGS_INVALID, e.message);
  const err = Object.assign(new Error(e.message), e.code ? { code: e.code } : {});
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/** The main thread's face of a custom state module: its names and docs; each call runs in the worker. */
export function stateModuleStandIn(m: Extract<Manifest, { kind: 'states' }>, worker: Isolate): StateModuleDefinition {
  const states = Object.fromEntries(
    Object.entries(m.states).map(([fn, info]) => {
      const run = (op: 'state' | 'watch') => (args: unknown, sctx: StateContext) =>
        runState(worker, { op, fn, name: `${m.name}.${fn}` }, args, sctx);
      return [
        fn,
        {
          doc: info.doc,
          args: standInSchema(info),
          run: run('state'),
          ...(info.modWatch ? { modWatch: run('watch') } : {}),
        },
      ];
    }),
  );
  return { name: m.name, replace: m.replace, states };
}

/**
 * One state call in the worker. A throw, the worker's end or the run's deadline is a failed
 * result (`result: false`) with the message and, for a throw, the author's stack: a state run
 * goes on with the next state.
 */
async function runState(
  worker: Isolate,
  call: { op: 'state' | 'watch'; fn: string; name: string },
  args: unknown,
  sctx: StateContext,
): Promise<StateResult> {
  const snap: StateSnapshot = {
    test: sctx.test,
    grains: sctx.grains(),
    pillar: pillarOf(sctx),
    timeoutMs: sctx.timeoutMs,
    maxOutputBytes: sctx.maxOutputBytes,
    cacheDir: sctx.cacheDir,
  };
  const host: CallHost = {
    signal: sctx.signal,
    log: sctx.log,
    emit: (stream, data) => stream !== 'state' && sctx.emit(stream, data),
    answer: (op, a) => answerState(sctx, op, a),
  };
  const name = String((args as { name?: unknown } | undefined)?.name ?? '');
  try {
    return (await callIsolated(worker, { op: call.op, fn: call.fn, input: args, snap }, host)) as StateResult;
  } catch (err) {
    const e = err as Error;
    const stack = e instanceof MinionError ? '' : `\n${e.stack ?? ''}`;
    return { name, result: false, comment: `${call.name} failed: ${e.message}${stack}`, changes: {} };
  }
}

/** How long one custom grains provider may take before it is skipped. */
export const GRAINS_TIMEOUT_MS = 5000;

/** The main thread's face of a custom grains provider: `grains()` runs in the worker under {@link GRAINS_TIMEOUT_MS}. */
export function grainsStandIn(
  m: Extract<Manifest, { kind: 'grains' }>,
  worker: Isolate,
  timeoutMs = GRAINS_TIMEOUT_MS,
): GrainsDefinition {
  return {
    name: m.name,
    grains: async ({ grains, log }) =>
      (await callIsolated(
        worker,
        { op: 'grains', fn: m.name, input: null, snap: { grains } },
        { signal: AbortSignal.timeout(timeoutMs), log, answer: noRpc },
      )) as Record<string, unknown>,
  };
}

/**
 * The main thread's face of a custom beacon: its name, doc and interval; `check` runs in the
 * worker, which validates the options with the beacon's own schema (a misfit is a failed poll,
 * or `ERR_ARGS_INVALID` from `saltutil.run_beacon`), bounded by the check's signal.
 */
export function beaconStandIn(m: Extract<Manifest, { kind: 'beacons' }>, worker: Isolate): BeaconDefinition {
  return {
    name: m.name,
    doc: m.doc,
    ...(m.intervalMs !== undefined ? { intervalMs: m.intervalMs } : {}),
    config: z.unknown(),
    check: async ({ config, grains, log, signal }) =>
      (await callIsolated(
        worker,
        { op: 'beacon', fn: m.name, input: config, snap: { grains } },
        { signal, log, answer: noRpc },
      )) as Awaited<ReturnType<BeaconDefinition['check']>>,
  };
}

/** The main thread's face of a custom execution module: names, docs, argument names; `run` is set by `isolated`. */
export function moduleStandIn(m: Extract<Manifest, { kind: 'modules' }>): ModuleDefinition {
  const functions = Object.fromEntries(
    Object.entries(m.functions).map(([fn, info]) => [
      fn,
      {
        doc: info.doc,
        params: info.params ?? [],
        ...(info.rest !== undefined ? { rest: info.rest } : {}),
        schema: standInSchema(info),
        run: () => Promise.reject(new Error(`${m.name}.${fn} runs in its worker`)),
      },
    ]),
  );
  return { name: m.name, replace: m.replace, functions };
}
