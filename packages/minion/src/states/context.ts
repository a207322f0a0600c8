import { MinionError } from '../errors.js';
import { prepareCall } from '../modules/registry.js';
import type { ModuleContext } from '../modules/types.js';
import { lookup } from './lookup.js';
import type { StateContext } from './types.js';

export { lookup } from './lookup.js';

/** What a state run adds to a job's module context. */
export interface StateRunOptions {
  /** `test=True` for the whole run. */
  test: boolean;
  /** The engine's Jinja renderer (`packages/state`), with grains, pillar and `salt` already bound. */
  render: StateContext['render'];
  /** The minion's pillar, as the master compiled it for this minion. */
  pillar: Readonly<Record<string, unknown>>;
}

/**
 * Builds the {@link StateContext} for a state run inside a job: logging, cancellation, time,
 * output and the file server come from the job's module context; `call` runs execution
 * functions through the same registry and argument rules as a job (`prepareCall`), rejecting
 * with a {@link MinionError} carrying the code when the call is refused.
 */
export function createStateContext(ctx: ModuleContext, opts: StateRunOptions): StateContext {
  return {
    log: ctx.log,
    signal: ctx.signal,
    test: opts.test,
    files: ctx.files,
    render: opts.render,
    grains: () => ctx.grains.all(),
    pillar: pillarReader(opts.pillar),
    call: async (fun, args = [], kwargs = {}) => {
      const call = prepareCall(ctx.registry, fun, args, kwargs);
      if (!call.ok) throw new MinionError(call.error.code, call.error.message);
      return call.fn.run(call.input, ctx);
    },
    timeoutMs: ctx.timeoutMs,
    maxOutputBytes: ctx.maxOutputBytes,
    emit: (stream, data) => ctx.emit(stream, data),
    cacheDir: ctx.cacheDir,
  };
}

/**
 * `ctx.pillar` of a state run: a lookup by key that also carries the whole pillar, which a
 * custom state's worker needs as a copy (its `pillar(key)` is synchronous; see `pillarOf`).
 */
function pillarReader(data: Readonly<Record<string, unknown>>): StateContext['pillar'] {
  return Object.assign((key: string) => lookup(data, key), { data });
}

/** The whole pillar behind a state context's `pillar`, or `{}` when it was made elsewhere. */
export function pillarOf(sctx: Pick<StateContext, 'pillar'>): Readonly<Record<string, unknown>> {
  const data = (sctx.pillar as { data?: unknown }).data;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}
