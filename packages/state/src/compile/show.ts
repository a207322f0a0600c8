import type { HighData, LowState } from './types.js';

/**
 * High data in the shape Salt's `state.show_sls` and `state.show_highstate` print:
 * `{id: {module: [args..., function, {order: n}], __sls__, __env__}}`, in definition order.
 */
export function highToSalt(high: HighData): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const state of high.states.values()) {
    const body: Record<string, unknown> = {};
    for (const [mod, args] of state.decls) body[mod] = [...args];
    body['__sls__'] = state.sls;
    body['__env__'] = state.env;
    out[state.id] = body;
  }
  return out;
}

/** Low states as `state.show_lowstate` prints them: Salt's keys, without Brine's `__file__`/`__line__`. */
export function lowToSalt(lows: readonly LowState[]): Array<Record<string, unknown>> {
  return lows.map(({ __file__: _file, __line__: _line, ...rest }) => rest);
}
