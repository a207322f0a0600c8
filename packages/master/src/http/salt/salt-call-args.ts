import { parse as parseYaml } from 'yaml';
import { BadRequestError } from '../shared/errors.js';

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
 * A positional argument as Salt's `yamlify_arg` reads it: a string that is YAML for a number, a
 * boolean, a list or a map becomes that (a form's `arg=1234` is the number 1234). An integer a
 * double cannot hold exactly (a jid) stays text, as does anything that does not parse.
 */
export function yamlifyArg(arg: unknown): unknown {
  if (typeof arg !== 'string' || arg.trim() === '' || arg.includes('#') || (/^[\d_]+$/.test(arg) && arg.includes('_')))
    return arg;
  let v: unknown;
  try {
    v = parseYaml(arg, { schema: 'core', maxAliasCount: 0 });
  } catch {
    return arg;
  }
  if (typeof v === 'number' && (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v)))) return arg;
  return v === null || typeof v === 'string' ? arg : v;
}

/**
 * Binds a call's positional `arg` and keyword arguments to a signature as Salt's RunnerClient
 * does (`salt.utils.args.parse_input`, then `format_call`): `key=value` strings become keyword
 * arguments, positional values are read as YAML ({@link yamlifyArg}) and fill the parameters in order, and keyword arguments the function
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
    if (m) keyword[m[1]!] = yamlifyArg(m[2]);
    else positional.push(yamlifyArg(a));
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
