import type { Logger } from 'pino';
import type { ModuleContext } from '../modules/types.js';
import type { StateContext } from '../states/types.js';
import type { CallFunction, RpcOp } from './worker-protocol.js';

// pino's numeric levels, for the lines of the worker's own pino logger.
const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** The call a worker's request belongs to: its job context, and how `ctx.call` runs. */
export interface RpcCall {
  ctx: ModuleContext;
  call: CallFunction;
}

/** Runs one `ctx` method that the worker asked for, with the call's own context. */
export function answer(p: RpcCall, op: RpcOp, a: unknown[]): Promise<unknown> {
  const c = p.ctx;
  const s = (i: number) => a[i] as string;
  switch (op) {
    case 'call':
      return p.call(c, s(0), (a[1] as unknown[]) ?? [], (a[2] as Record<string, unknown>) ?? {});
    case 'grains.setValue':
      return c.grains.setValue(s(0), a[1]);
    case 'grains.refresh':
      return c.grains.refresh();
    case 'files.getFile':
      return c.files.getFile(s(0), s(1));
    case 'files.list':
      return c.files.list(s(0));
    case 'pillar.items':
      return c.pillar.items();
    case 'pillar.refresh':
      return c.pillar.refresh();
    case 'mine.update':
      return c.mine.update(a[0] as Record<string, unknown>, a[1] as boolean);
    case 'mine.delete':
      return c.mine.delete(a[0] as string | undefined);
    case 'mine.get':
      return c.mine.get(a[0] as string | string[], s(1), s(2));
    case 'jobs.kill':
      return Promise.resolve(c.jobs.kill(s(0)));
    case 'render':
      return Promise.reject(new Error('render is available to state functions only'));
  }
}

/** Writes a line of the worker's pino logger to the call's logger, at its level. */
export function forwardLog(log: Logger, line: string): void {
  try {
    const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string };
    log[LEVELS[level] ?? 'info'](fields, msg ?? '');
  } catch {
    log.info({ line }, 'custom module log line');
  }
}

/** Runs one state-context method that the worker asked for (`call`, `files.*`, `render`). */
export function answerState(sctx: StateContext, op: RpcOp, a: unknown[]): Promise<unknown> {
  switch (op) {
    case 'call':
      return sctx.call(a[0] as string, (a[1] as unknown[]) ?? [], (a[2] as Record<string, unknown>) ?? {});
    case 'files.getFile':
      return sctx.files.getFile(a[0] as string, a[1] as string);
    case 'files.list':
      return sctx.files.list(a[0] as string);
    case 'render':
      return sctx.render(a[0] as string, (a[1] as Record<string, unknown>) ?? {});
    default:
      return Promise.reject(new Error(`${op} is not available to a state function`));
  }
}
