import { ErrorCode } from './errors.js';
import type { TargetTypeValue } from './frames.js';
import { globMatch } from './glob.js';

/** What a target is evaluated against: a minion's id and grains (`ipv4` among them). */
export interface TargetFacts {
  id: string;
  grains: Readonly<Record<string, unknown>>;
}

/** Options for {@link compileTarget}. */
export interface TargetOptions {
  /** Nodegroups from the master config: name → compound expression or list of ids. */
  nodegroups?: Readonly<Record<string, string | readonly string[]>>;
}

/** Why a target did not compile; `position` is a 0-based offset into the expression. */
export interface TargetError {
  code: typeof ErrorCode.TARGET_SYNTAX;
  message: string;
  position?: number;
}

/** A compiled target: a predicate over minions, or the reason it did not compile. */
export type CompiledTarget = { ok: true; match: (minion: TargetFacts) => boolean } | { ok: false; error: TargetError };

/**
 * Compiles a target of any type into a predicate. Pure and shared: the master selects minions
 * with it, and each minion checks a signed job's target with the same code.
 */
export function compileTarget(
  tgt: string | readonly string[],
  tgtType: TargetTypeValue,
  _options: TargetOptions = {},
): CompiledTarget {
  const text = Array.isArray(tgt) ? tgt.join(',') : (tgt as string);
  switch (tgtType) {
    case 'glob':
      return ok((m) => globMatch(text, m.id));
    case 'list': {
      const ids = new Set(Array.isArray(tgt) ? tgt : text.split(/[,\s]+/).filter(Boolean));
      return ok((m) => ids.has(m.id));
    }
    case 'pcre':
      return regex(text, (re) => (m) => re.test(m.id));
    case 'grain':
      return grainTarget(text, (pattern) => ok((v) => globMatch(pattern, v)));
    case 'grain_pcre':
      return grainTarget(text, (pattern) => regex(pattern, (re) => (v: string) => re.test(v)));
    case 'ipcidr':
      return cidrTarget(text);
    case 'nodegroup':
    case 'compound':
      return syntaxError(`target type ${tgtType} is not supported yet`, 0);
  }
}

function ok<T>(match: T): { ok: true; match: T } {
  return { ok: true, match };
}

function syntaxError(message: string, position?: number): { ok: false; error: TargetError } {
  return {
    ok: false,
    error: { code: ErrorCode.TARGET_SYNTAX, message, ...(position === undefined ? {} : { position }) },
  };
}

function regex<T>(source: string, make: (re: RegExp) => T): { ok: true; match: T } | { ok: false; error: TargetError } {
  try {
    return ok(make(new RegExp(source)));
  } catch (err) {
    return syntaxError(`invalid regular expression: ${(err as Error).message}`, 0);
  }
}

/** Looks up a `:`-separated key path in nested grains. */
export function grainAt(grains: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let cur: unknown = grains;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function grainTarget(
  text: string,
  makeValueMatch: (pattern: string) => { ok: true; match: (v: string) => boolean } | { ok: false; error: TargetError },
): CompiledTarget {
  const idx = text.indexOf(':');
  if (idx <= 0) return syntaxError('a grain target is key:pattern', Math.max(idx, 0));
  // Nested keys by ':'; the last segment is the pattern (Salt's default delimiter).
  const parts = text.split(':');
  const pattern = parts.pop()!;
  const compiled = makeValueMatch(pattern);
  if (!compiled.ok) return compiled;
  const test = compiled.match;
  return ok((m) => {
    const value = grainAt(m.grains, parts);
    if (Array.isArray(value)) return value.some((v) => isScalar(v) && test(String(v)));
    return isScalar(value) && test(String(value));
  });
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function cidrTarget(text: string): CompiledTarget {
  const [addr, bitsText] = text.split('/');
  const base = ipv4ToInt(addr ?? '');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    return syntaxError(`not an IPv4 address or CIDR: ${text}`, 0);
  }
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ok((m) => {
    const ips = m.grains['ipv4'];
    if (!Array.isArray(ips)) return false;
    return ips.some((ip) => {
      const n = typeof ip === 'string' ? ipv4ToInt(ip) : undefined;
      return n !== undefined && (n & mask) >>> 0 === (base & mask) >>> 0;
    });
  });
}

/** Parses a dotted IPv4 address to an unsigned 32-bit integer. */
export function ipv4ToInt(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}
