import { TargetSyntaxError } from './errors.js';
import { compileGlob } from './glob.js';
import { compileGrainComparison } from './grain-comparisons.js';
import { compileGrainMatcher } from './grain-matchers.js';
import { compilePcre } from './pcre.js';
import { compileCidr } from './target-cidr.js';
import type { TargetMatcher } from './target-types.js';

// Salt's TARGET_REX (`salt/utils/minions.py`): an engine letter, for G P I J an optional one-character
// delimiter, then `@`; a word that does not fit is a glob on the id (`X@foo`; Salt's `G@` too, which
// is refused here as a mistake).
const TARGET_WORD = /^(?:([GPIJLNSER])((?<=[GPIJ]).)?@)?(.+)$/s;
const UNSUPPORTED: Readonly<Record<string, string>> = {
  R: 'range targets (R@) are not supported',
};

/**
 * Compiles one word of a compound target into a matcher, as Salt's compound matcher reads it: an
 * untagged glob on the id, one of `G@ P@ I@ J@ E@ L@ S@` (with `G%@os%Debian` delimiters), or Brine's
 * grain comparison `C@`. `N@` is the parser's, as it needs the nodegroups. A capital letter Salt
 * does not know followed by `@` (`X@foo`) is, as in Salt, a glob on the id. `pos` is the word's
 * offset in the expression, for errors.
 */
export function compileWord(word: string, pos: number): TargetMatcher {
  if (word.startsWith('C@')) return compileGrainComparison(word.slice(2), pos + 2);
  const parsed = TARGET_WORD.exec(word);
  const engine = parsed?.[1];
  if (engine === undefined) {
    const bare = /^([A-Z])@$/.exec(word)?.[1];
    if (bare !== undefined && 'GPIJLNSE'.includes(bare)) {
      throw TargetSyntaxError.at(`expected a pattern after '${bare}@'`, pos + 2);
    }
    return compileIdGlob(word);
  }
  const delimiter = parsed![2];
  const pattern = parsed![3]!;
  const at = pos + word.length - pattern.length;
  const unsupported = UNSUPPORTED[engine];
  if (unsupported !== undefined) throw TargetSyntaxError.at(unsupported, pos);
  switch (engine) {
    case 'G':
      return compileGrainMatcher(pattern, at, { mode: 'glob', delimiter });
    case 'P':
      return compileGrainMatcher(pattern, at, { mode: 'pcre', delimiter });
    case 'I':
      return compileGrainMatcher(pattern, at, { mode: 'glob', delimiter, source: 'pillar' });
    case 'J':
      return compileGrainMatcher(pattern, at, { mode: 'pcre', delimiter, source: 'pillar' });
    case 'E':
      return compileIdPcre(pattern, at);
    case 'L':
      return compileIdList(pattern.split(','));
    case 'S':
      return compileCidr(pattern, at);
    default:
      throw TargetSyntaxError.at(`unexpected '${engine}@'`, pos);
  }
}

/** Matches minion ids against a glob, as Salt's default target. */
export function compileIdGlob(pattern: string): TargetMatcher {
  const test = compileGlob(pattern);
  return (m) => test(m.id);
}

/** Matches minion ids against a regular expression, anchored at the start as Python's `re.match`. */
export function compileIdPcre(source: string, pos: number): TargetMatcher {
  const test = compilePcre(source, pos);
  return (m) => test(m.id);
}

/** Matches the minion ids in a list exactly; empty entries are ignored. */
export function compileIdList(ids: readonly string[]): TargetMatcher {
  const set = new Set(ids.filter((id) => id !== ''));
  return (m) => set.has(m.id);
}

/**
 * Splits a `-L` target written as one string the way Salt's command line does
 * (`salt/utils/parsers.py`): with a comma anywhere, spaces are removed and commas separate ids;
 * without one, whitespace does. Empty entries are dropped. The CLI and the master both use it, so
 * `'web1, web2'` and `'web1 web2'` mean the same through either.
 */
export function splitTargetList(text: string): string[] {
  const ids = text.includes(',') ? text.replace(/ /g, '').split(',') : text.split(/\s+/);
  return ids.filter((id) => id !== '');
}

/** Parses a dotted IPv4 address to an unsigned 32-bit integer; `undefined` if it is not one. */
export function ipv4ToInt(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3) return undefined;
    let octet = 0;
    for (let i = 0; i < part.length; i++) {
      const digit = part.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return undefined;
      octet = octet * 10 + digit;
    }
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}
