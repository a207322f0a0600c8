import { compileTarget, type TargetFacts, type TargetOptions } from '@brine/protocol';
import type { AclConfig, AclEntryConfig, FunEntryConfig } from '../../config-auth.js';
import { AuthConfigError } from '../shared/errors.js';
import { callAllowed, compileArgSpec, type Call, type FunGrant } from './acl-call.js';
import { compileAclPattern, type AclPattern } from './acl-pattern.js';
import { AclRegexError } from './acl-regex.js';

export type { Call } from './acl-call.js';

/** Areas of the API a grant opens, beside running functions (Salt's `@jobs`, `@wheel`, ...). */
export const Area = {
  jobs: '@jobs',
  keys: '@keys',
  events: '@events',
  minions: '@minions',
  metrics: '@metrics',
  tokens: '@tokens',
  hooks: '@hooks',
  /** Read the audit log (`GET /api/v1/audit`, every master's when they share a database). */
  audit: '@audit',
  /** Jobs may carry `pillar=` overrides merged over the compiled pillar (issue #16). */
  pillarOverride: '@pillar_override',
} as const;
/** One of the {@link Area} values. */
export type AreaValue = (typeof Area)[keyof typeof Area];

/** Salt's names for areas: `@runner` covers jobs and manage runners, `@wheel` the key wheel. */
const ALIASES: Readonly<Record<string, readonly AreaValue[]>> = {
  '@runner': [Area.jobs, Area.minions],
  '@wheel': [Area.keys],
  '@manage': [Area.minions],
  '@key': [Area.keys],
};
const RUNNER_MODULES = new Set(['jobs', 'manage']);

/** What one principal may do, from the ACL entries that apply to it. */
export interface Grants {
  /** The local admin credential: everything, no ACL consulted. */
  readonly admin: boolean;
  /** The config entries that apply, as salt-api's login answer lists them in `perms`. */
  readonly perms: readonly AclEntryConfig[];
  /** Whether a function grant exists at all (then own jobs are visible). */
  readonly runsFunctions: boolean;
  /** Whether an area (`@jobs`, `@keys`, ...) is granted. */
  can(area: AreaValue): boolean;
  /** Ids of the minions a call is NOT allowed on; empty means allowed on every one given. */
  denied(call: Call, minions: readonly TargetFacts[]): string[];
  /** Whether a call is allowed on every minion, whatever the target (a bare function grant). */
  allowsEverywhere(call: Call): boolean;
  /**
   * Whether some grant allows the call's function with these arguments on some minion: when not,
   * the ACL answers 403 alone, before the target is evaluated against the fleet.
   */
  mayCall(call: Call): boolean;
  /**
   * Whether the principal may make, list and revoke tokens of a user: its own with `@tokens`,
   * another's only where `{'@tokens': [user glob]}` names it (the admin: everyone's).
   */
  tokensOf(user: string): boolean;
  /** salt-api runner (`jobs.*`, `manage.*`) and wheel (`key.*`) functions, by area or by `{'@runner': [glob]}`. */
  special(kind: 'runner' | 'wheel', fun: string): boolean;
}

/** The grants of the local admin credential. */
export const ADMIN_GRANTS: Grants = {
  admin: true,
  perms: ['.*', '@runner', '@wheel', '@jobs', '@events', '@tokens'],
  runsFunctions: true,
  can: () => true,
  denied: () => [],
  allowsEverywhere: () => true,
  mayCall: () => true,
  tokensOf: () => true,
  special: () => true,
};

/** The grants of an anonymous request: nothing. */
export const NO_GRANTS: Grants = {
  admin: false,
  perms: [],
  runsFunctions: false,
  can: () => false,
  denied: (_call, minions) => minions.map((m) => m.id),
  allowsEverywhere: () => false,
  mayCall: () => false,
  tokensOf: () => false,
  special: () => false,
};

/** Whether a runner or wheel function (`jobs.lookup_jid`) is granted. */
type FunTest = (fun: string) => boolean;

interface Compiled {
  raw: AclEntryConfig[];
  areas: Set<AreaValue>;
  funs: FunGrant[];
  runner: FunTest[];
  wheel: FunTest[];
  /** Users whose tokens `{'@tokens': [pattern]}` opens, beside the principal's own. */
  tokenUsers: AclPattern[];
}

/**
 * A compiled ACL in Salt's external_auth shape. Default deny: a user with no entry may do
 * nothing but log in and out. Entries apply to a user by exact name or glob, to `group%` members,
 * and `*` to users no named entry matched (Salt's rule). Targets are compound expressions, as in
 * Salt's `auth_check`; function and argument patterns are Salt's regexes or Brine's globs (see
 * `isAclRegex`), and argument values pass the rules of `argMatches` first.
 */
export class Acl {
  readonly #entries: [string, Compiled, AclPattern | undefined][] = [];
  readonly #cache = new Map<string, Grants>();

  /** Compiles every entry; throws {@link AuthConfigError} naming the first that does not. */
  constructor(config: AclConfig, targetOptions: TargetOptions = {}) {
    for (const [who, list] of Object.entries(config)) {
      const c: Compiled = { raw: list, areas: new Set(), funs: [], runner: [], wheel: [], tokenUsers: [] };
      list.forEach((entry, i) => compileEntry(entry, c, `acl.${who}[${i}]`, targetOptions));
      // Salt matches user keys as a glob or a regex (expr_match); here, one reading per key.
      const named = who === '*' || who.endsWith('%') ? undefined : pattern(who, `acl.${who}`);
      this.#entries.push([who, c, named]);
    }
  }

  /** The grants of a user in some groups (cached per user: both come from the config). */
  grantsFor(user: string, groups: readonly string[]): Grants {
    const key = `${user}\0${groups.join('\0')}`;
    let g = this.#cache.get(key);
    if (!g) this.#cache.set(key, (g = this.#merge(user, groups)));
    return g;
  }

  #merge(user: string, groups: readonly string[]): Grants {
    const named = this.#entries.filter(([, , p]) => p?.test(user) === true);
    const grouped = this.#entries.filter(([who]) => who.endsWith('%') && groups.includes(who.slice(0, -1)));
    const star = named.length === 0 ? this.#entries.filter(([who]) => who === '*') : [];
    const all = [...named, ...grouped, ...star].map(([, c]) => c);
    const areas = new Set(all.flatMap((c) => [...c.areas]));
    const funs = all.flatMap((c) => c.funs);
    const runner = all.flatMap((c) => c.runner);
    const wheel = all.flatMap((c) => c.wheel);
    const tokenUsers = all.flatMap((c) => c.tokenUsers);
    return {
      admin: false,
      perms: all.flatMap((c) => c.raw),
      runsFunctions: funs.length > 0,
      can: (area) => areas.has(area),
      denied: (call, minions) =>
        minions.filter((m) => !funs.some((g) => (!g.target || g.target(m)) && callAllowed(g, call))).map((m) => m.id),
      allowsEverywhere: (call) => funs.some((g) => !g.target && callAllowed(g, call)),
      mayCall: (call) => funs.some((g) => callAllowed(g, call)),
      tokensOf: (owner) => areas.has(Area.tokens) && (owner === user || tokenUsers.some((p) => p.test(owner))),
      special: (kind, fun) => {
        const area = kind === 'wheel' ? Area.keys : fun.startsWith('manage.') ? Area.minions : Area.jobs;
        return areas.has(area) || (kind === 'wheel' ? wheel : runner).some((test) => test(fun));
      },
    };
  }
}

function compileEntry(entry: AclEntryConfig, c: Compiled, where: string, options: TargetOptions): void {
  if (typeof entry === 'string') {
    if (entry.startsWith('@')) for (const a of areasOf(entry, where)) c.areas.add(a);
    else c.funs.push({ fun: pattern(entry, where) });
    return;
  }
  for (const [key, funs] of Object.entries(entry)) {
    if (key.startsWith('@')) compileSpecial(key, funs, c, where);
    else {
      const compiled = compileTarget(key, 'compound', options);
      if (!compiled.ok) throw new AuthConfigError(`${where}: target '${key}': ${compiled.error.message}`);
      for (const f of funs) c.funs.push(...funGrants(f, compiled.match, where));
    }
  }
}

function areasOf(name: string, where: string): readonly AreaValue[] {
  if ((Object.values(Area) as string[]).includes(name)) return [name as AreaValue];
  const alias = ALIASES[name];
  if (!alias)
    throw new AuthConfigError(
      `${where}: unknown grant '${name}'; expected one of ${Object.values(Area).join(', ')}, @runner or @wheel`,
    );
  return alias;
}

function compileSpecial(key: string, funs: FunEntryConfig[], c: Compiled, where: string): void {
  const module = key.slice(1);
  const patterns = funs.map((f) => {
    if (typeof f !== 'string') throw new AuthConfigError(`${where}: '${key}' takes function patterns only`);
    return f;
  });
  if (key === Area.tokens) {
    // The users whose tokens the holder may manage besides its own: a delegation the admin writes.
    c.areas.add(Area.tokens);
    c.tokenUsers.push(...patterns.map((p) => pattern(p, where)));
  } else if (key === '@runner' || key === '@wheel') {
    const tests = patterns.map((p) => pattern(p, where).test);
    (key === '@runner' ? c.runner : c.wheel).push(...tests);
  } else if (RUNNER_MODULES.has(module) || module === 'key') {
    // Salt's `{'@jobs': [fun]}`: the pattern names functions of that module only.
    const tests = patterns.map((p) => inModule(module, pattern(p, where)));
    (module === 'key' ? c.wheel : c.runner).push(...tests);
  } else
    throw new AuthConfigError(
      `${where}: unknown grant '${key}'; expected @runner, @wheel, @jobs, @manage, @key or @tokens`,
    );
}

function inModule(module: string, p: AclPattern): FunTest {
  return (fun) => fun.startsWith(`${module}.`) && p.test(fun.slice(module.length + 1));
}

/** Compiles a function or argument pattern, naming the config path when it does not compile. */
function pattern(source: string, where: string): AclPattern {
  try {
    return compileAclPattern(source);
  } catch (err) {
    if (err instanceof AclRegexError) throw new AuthConfigError(`${where}: pattern '${source}': ${err.message}`);
    throw err;
  }
}

function funGrants(f: FunEntryConfig, target: FunGrant['target'], where: string): FunGrant[] {
  if (typeof f === 'string') return [{ fun: pattern(f, where), target }];
  return Object.entries(f).map(([fun, spec]) => ({
    fun: pattern(fun, where),
    target,
    args: (Array.isArray(spec) ? spec : [spec]).map((one) => {
      try {
        return compileArgSpec(one);
      } catch (err) {
        if (err instanceof AclRegexError) throw new AuthConfigError(`${where}: ${fun}: ${err.message}`);
        throw err;
      }
    }),
  }));
}
