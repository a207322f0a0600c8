import type { ExtendKind } from '@brine/protocol';
import type { Grains, ModuleContext, ModuleResult, RunningJob } from '../modules/types.js';
import { MinionErrorCode } from '../errors.js';
import type { Manifest } from './extension-manifest.js';

/**
 * The messages between a custom module's worker thread and the minion's main thread (issue
 * #21: custom code runs in a worker, so that a loop after an `await` blocks only its worker,
 * which is terminated at the job's deadline). Every message is structured-cloned.
 */

/** The codes of a custom function's failed results; tests assert these. */
export const CustomCode = {
  /** The function threw or rejected: the return carries its message and stack. */
  functionFailed: MinionErrorCode.customFunction,
  /**
   * The module's worker ended under the call: terminated because a call on it overran its
   * deadline, or dead (out of memory, an uncaught throw in a callback).
   */
  workerFailed: MinionErrorCode.customWorker,
} as const;

/** What the worker is given at start (`workerData`). */
export interface WorkerData {
  /** The `file:` URL of the installed module, with its `?v=<sha256>`. */
  url: string;
  /** What the file is: its default export is checked and described as one. */
  kind: ExtendKind;
}

/**
 * What a call runs: an execution function (`fn`), a state function (`state`) or its
 * `modWatch` (`watch`), a grains provider (`grains`), a beacon check (`beacon`), or the
 * extension's `virtual()` hook (`virtual`).
 */
export type CallOp = 'fn' | 'state' | 'watch' | 'grains' | 'beacon' | 'virtual';

/** The data of a state function's context, sent with each state call. */
export interface StateSnapshot {
  test: boolean;
  grains: Grains;
  /** The minion's pillar for this run: `ctx.pillar(key)` is synchronous, so it travels whole. */
  pillar: Readonly<Record<string, unknown>>;
  timeoutMs: number;
  maxOutputBytes: number;
  cacheDir: string;
}

/** The part of a job's context that is plain data, sent with each call. */
export interface CallSnapshot {
  jid: string;
  timeoutMs: number;
  grains: Grains;
  maxOutputBytes: number;
  cacheDir: string;
  running: RunningJob[];
  mineConfigured: Record<string, unknown>;
}

/** The `ctx` methods that the worker asks the main thread to run, by name. */
export const RPC_OPS = [
  'call',
  'grains.setValue',
  'grains.refresh',
  'files.getFile',
  'files.list',
  'pillar.items',
  'pillar.refresh',
  'mine.update',
  'mine.delete',
  'mine.get',
  'jobs.kill',
  'render',
] as const;

/** One of {@link RPC_OPS}. */
export type RpcOp = (typeof RPC_OPS)[number];

/** An error as it crosses the thread boundary: custom code's stack is kept (docs/extending.md). */
export interface WorkerError {
  message: string;
  stack?: string;
  code?: string;
}

/** Main thread to worker. */
export type ToWorker =
  | { t: 'call'; id: number; op: CallOp; fn: string; input: unknown; snap: unknown }
  | { t: 'abort'; id: number }
  | { t: 'rpc.ok'; rpc: number; value: unknown }
  | { t: 'rpc.err'; rpc: number; error: WorkerError };

/** Worker to main thread. */
export type FromWorker =
  | { t: 'ready'; manifest: Manifest }
  | { t: 'load.failed'; error: WorkerError }
  | { t: 'done'; id: number; result: unknown }
  | { t: 'fail'; id: number; error: WorkerError }
  | { t: 'rpc'; id: number; rpc: number; op: RpcOp; args: unknown[] }
  | { t: 'emit'; id: number; stream: 'stdout' | 'stderr' | 'state'; data: string }
  | { t: 'event'; id: number; tag: string; data: unknown }
  | { t: 'log'; id: number; line: string };

/** An error (or anything thrown) as data that survives structured cloning. */
export function toWorkerError(err: unknown): WorkerError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      message: err.message,
      ...(err.stack !== undefined ? { stack: err.stack } : {}),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { message: String(err) };
}

/** Runs another function by name with a call's context (`ctx.call`, done on the main thread). */
export type CallFunction = (
  ctx: ModuleContext,
  fun: string,
  args?: readonly unknown[],
  kwargs?: Readonly<Record<string, unknown>>,
) => Promise<ModuleResult>;
