import { TargetSyntaxError } from './errors.js';

/**
 * Compiles a regular expression once, anchored at the start only, as Salt's `re.match`.
 * Throws a {@link TargetSyntaxError} at `pos` for an invalid one.
 */
export function compilePcre(source: string, pos: number, flags: string): RegExp {
  try {
    // Checked alone first: wrapped in a group, `a)(b` would compile to something else.
    new RegExp(source, flags);
  } catch (err) {
    throw TargetSyntaxError.at('invalid regular expression', pos, `: ${(err as Error).message}`);
  }
  return new RegExp(`^(?:${source})`, flags);
}
