import { TargetSyntaxError } from './errors.js';
import { compileGlob } from './glob.js';
import { compileGrainMatcher, grainAt } from './grain-matchers.js';
import { compilePcre } from './pcre.js';
import type { TargetMatcher } from './target-types.js';

const PREFIX = /^([A-Z])@/;
const CIDR = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?$/;

/**
 * Compiles one word of a compound target into a matcher: an untagged glob on the id, or one of
 * `G@ P@ E@ L@ S@`. `N@` is the parser's, as it needs the nodegroups. `pos` is the word's offset
 * in the expression, for errors.
 */
export function compileWord(word: string, pos: number): TargetMatcher {
  const prefix = PREFIX.exec(word)?.[1];
  if (prefix === undefined) return compileIdGlob(word);
  const pattern = word.slice(2);
  const at = pos + 2;
  if (pattern === '') throw TargetSyntaxError.at(`expected a pattern after '${prefix}@'`, at);
  switch (prefix) {
    case 'G':
      return compileGrainMatcher(pattern, at, 'glob');
    case 'P':
      return compileGrainMatcher(pattern, at, 'pcre');
    case 'E':
      return compileIdPcre(pattern, at);
    case 'L':
      return compileIdList(pattern.split(','));
    case 'S':
      return compileCidr(pattern, at);
    default:
      throw TargetSyntaxError.at(`unknown prefix '${prefix}@'`, pos);
  }
}

/** Matches minion ids against a glob, as Salt's default target. */
export function compileIdGlob(pattern: string): TargetMatcher {
  const test = compileGlob(pattern);
  return (m) => test(m.id);
}

/** Matches minion ids against a regular expression, anchored at the start as Python's `re.match`. */
export function compileIdPcre(source: string, pos: number): TargetMatcher {
  const re = compilePcre(source, pos, '');
  return (m) => re.test(m.id);
}

/** Matches the minion ids in a list exactly; empty entries are ignored. */
export function compileIdList(ids: readonly string[]): TargetMatcher {
  const set = new Set(ids.filter((id) => id !== ''));
  return (m) => set.has(m.id);
}

/** Matches minions with an address in `grains.ipv4` inside an IPv4 address or CIDR block. */
export function compileCidr(text: string, pos: number): TargetMatcher {
  const parsed = CIDR.exec(text);
  const base = parsed ? ipv4ToInt(parsed[1]!) : undefined;
  const bits = parsed?.[2] === undefined ? 32 : Number(parsed[2]);
  if (base === undefined || bits > 32) {
    throw TargetSyntaxError.at('expected an IPv4 address or CIDR', pos, `, found '${text}'`);
  }
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  const network = (base & mask) >>> 0;
  return (m) => {
    const ips = grainAt(m.grains, ['ipv4']);
    for (const ip of Array.isArray(ips) ? ips : [ips]) {
      const n = typeof ip === 'string' ? ipv4ToInt(ip) : undefined;
      if (n !== undefined && (n & mask) >>> 0 === network) return true;
    }
    return false;
  };
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
