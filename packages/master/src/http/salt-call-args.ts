import { BadRequestError } from './errors.js';

/** The signature of a runner or wheel function, as Python would declare it. */
export interface SaltSignature {
  /** Parameter names, in order; positional arguments fill them first. */
  params: readonly string[];
  /** Takes `*args`: extra positional arguments are kept, in order. @default false */
  rest?: boolean;
  /** Takes `**kwargs`: keyword arguments it does not name are kept. @default false */
  extra?: boolean;
}

/** The arguments of a call, bound to a signature. */
export interface BoundArgs {
  /** Every named parameter that was given, and (with `extra`) the other keyword arguments. */
  kwargs: Record<string, unknown>;
  /** Positional arguments beyond the named parameters (with `rest`). */
  rest: unknown[];
}

/** A `key=value` string in `arg`, which Salt's `parse_input` turns into a keyword argument. */
const KWARG_STRING = /^([^\W\d]\w*)=(?!=)([\s\S]*)$/u;

/**
 * Binds a call's positional `arg` and keyword arguments to a signature as Salt's RunnerClient
 * does (`salt.utils.args.parse_input`, then `format_call`): `key=value` strings become keyword
 * arguments, positional ones fill the parameters in order, and keyword arguments the function
 * does not take are dropped (a client's extra lowstate keys are not an error). 400 for more
 * positional arguments than it takes, or a parameter given twice.
 */
export function bindSaltArgs(
  fun: string,
  sig: SaltSignature,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
): BoundArgs {
  const positional: unknown[] = [];
  const keyword: Record<string, unknown> = { ...kwargs };
  for (const a of args) {
    const m = typeof a === 'string' ? KWARG_STRING.exec(a) : null;
    if (m) keyword[m[1]!] = m[2];
    else positional.push(a);
  }
  const out: Record<string, unknown> = {};
  positional.slice(0, sig.params.length).forEach((v, i) => (out[sig.params[i]!] = v));
  const rest = positional.slice(sig.params.length);
  if (rest.length > 0 && !sig.rest)
    throw new BadRequestError(
      `${fun} takes at most ${sig.params.length} positional argument(s), got ${positional.length}`,
    );
  for (const [k, v] of Object.entries(keyword)) {
    if (!sig.params.includes(k) && !sig.extra) continue;
    if (Object.hasOwn(out, k)) throw new BadRequestError(`${fun} got multiple values for argument '${k}'`);
    out[k] = v;
  }
  return { kwargs: out, rest };
}
