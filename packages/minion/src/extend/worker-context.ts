import pino, { type Logger } from 'pino';
import type { ModuleContext } from '../modules/types.js';
import type { StateContext } from '../states/types.js';
import { lookup } from '../states/lookup.js';
import type { CallSnapshot, FromWorker, RpcOp, StateSnapshot } from './worker-protocol.js';

/** How a call's context reaches the main thread. */
export interface Channel {
  post(m: FromWorker): void;
  rpc(id: number, op: RpcOp, args: unknown[]): Promise<unknown>;
}

/** A pino logger whose lines go to the main thread, to the call's own logger. */
export function workerLog(id: number, ch: Channel): Logger {
  return pino(
    { level: 'trace', base: null, timestamp: false },
    { write: (line: string) => ch.post({ t: 'log', id, line }) },
  );
}

/** The `ctx` of one call: its data copied from the call, its methods asked of the main thread. */
export function contextFor(id: number, snap: CallSnapshot, signal: AbortSignal, ch: Channel): ModuleContext {
  let log: Logger | undefined;
  const ask =
    (op: RpcOp) =>
    (...args: unknown[]) =>
      ch.rpc(id, op, args);
  return {
    jid: snap.jid,
    get log() {
      return (log ??= workerLog(id, ch));
    },
    signal,
    timeoutMs: snap.timeoutMs,
    grains: {
      all: () => snap.grains,
      setValue: ask('grains.setValue') as never,
      refresh: ask('grains.refresh') as never,
    },
    files: { getFile: ask('files.getFile') as never, list: ask('files.list') as never },
    pillar: { items: ask('pillar.items') as never, refresh: ask('pillar.refresh') as never },
    mine: {
      update: ask('mine.update') as never,
      delete: ask('mine.delete') as never,
      get: ask('mine.get') as never,
      configured: () => snap.mineConfigured,
    },
    jobs: { running: () => snap.running, kill: ask('jobs.kill') as never },
    get registry(): never {
      throw new Error("ctx.registry is not available to custom modules; use ctx.call('sys.list_functions')");
    },
    emit: (stream, data) => ch.post({ t: 'emit', id, stream, data }),
    maxOutputBytes: snap.maxOutputBytes,
    cacheDir: snap.cacheDir,
    fireEvent: (tag, data) => {
      ch.post({ t: 'event', id, tag, data });
      return true;
    },
    call: ask('call') as never,
  };
}

/** The `ctx` of one state call: its data copied from the call, `call`, `files` and `render` asked of the main thread. */
export function stateContextFor(id: number, snap: StateSnapshot, signal: AbortSignal, ch: Channel): StateContext {
  let log: Logger | undefined;
  const ask =
    (op: RpcOp) =>
    (...args: unknown[]) =>
      ch.rpc(id, op, args);
  return {
    get log() {
      return (log ??= workerLog(id, ch));
    },
    signal,
    test: snap.test,
    files: { getFile: ask('files.getFile') as never, list: ask('files.list') as never },
    render: ask('render') as never,
    grains: () => snap.grains,
    pillar: (key) => lookup(snap.pillar, key),
    call: ask('call') as never,
    timeoutMs: snap.timeoutMs,
    maxOutputBytes: snap.maxOutputBytes,
    emit: (stream, data) => ch.post({ t: 'emit', id, stream, data }),
    cacheDir: snap.cacheDir,
  };
}
