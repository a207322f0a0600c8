import { ErrorCode, type ErrorCodeValue, type WireError } from '@brine/protocol';
import type { z } from 'zod';
import { cmdFunctions } from './cmd.js';
import { cpFunctions } from './cp.js';
import { eventFunctions } from './event.js';
import { scheduleFunctions } from './schedule.js';
import { fileFunctions } from './file.js';
import { grainsFunctions } from './grains.js';
import { mineFunctions } from './mine.js';
import { networkFunctions } from './network.js';
import { pillarFunctions } from './pillar.js';
import { pkgFunctions } from './pkg.js';
import { saltutilFunctions } from './saltutil.js';
import { serviceFunctions } from './service.js';
import { stateFunctions } from './state.js';
import { createStateLock } from '../state-run/state-lock.js';
import type { StateRuntime } from '../state-run/run-state.js';
import { createStateRegistry } from '../states/registry.js';
import { statusFunctions } from './status.js';
import { sysFunctions } from './sys.js';
import { testFunctions } from './test.js';
import type { ModuleFunction } from './types.js';

/** A call ready to run (`input` is the schema's parsed output), or why it cannot run. */
export type PreparedCall =
  { ok: true; fn: ModuleFunction; input: unknown } | { ok: false; error: WireError & { code: ErrorCodeValue } };

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /**
   * What the `state.*` functions run over; one per minion (it holds the minion's state-run
   * lock). @default its own state functions and lock, and an empty pillar
   */
  state?: Partial<StateRuntime>;
}

/**
 * Builds the registry of every minion function, keyed by `module.function`, for one minion
 * (its `state.*` functions share that minion's state-run lock). Throws on a duplicate name.
 */
export function createRegistry(options: RegistryOptions = {}): Map<string, ModuleFunction> {
  const registry = new Map<string, ModuleFunction>();
  const all = [
    ...testFunctions,
    ...cmdFunctions,
    ...fileFunctions,
    ...grainsFunctions,
    ...pkgFunctions,
    ...serviceFunctions,
    ...cpFunctions,
    ...statusFunctions,
    ...networkFunctions,
    ...sysFunctions,
    ...saltutilFunctions,
    ...eventFunctions,
    ...scheduleFunctions,
    ...pillarFunctions,
    ...mineFunctions,
    ...stateFunctions(stateRuntime(options)),
  ];
  for (const fn of all) {
    if (registry.has(fn.name)) throw new Error(`duplicate minion function ${fn.name}`);
    registry.set(fn.name, fn);
  }
  return registry;
}

/**
 * A registry that is `base` with its own `state.*` functions (over `options.state`, and so its
 * own state-run lock): what a swarm gives each virtual minion, where a full registry each cost
 * 6 KB of heap, 60 MB for 10,000 minions that every GC of the connect phase marked again. It
 * lists the same names as `base`, in the same order, until written to: the first write (a
 * minion's extensions installing their functions) copies it into a map of its own, so only a
 * minion that syncs pays for a registry of its own.
 */
export function overlayRegistry(
  base: ReadonlyMap<string, ModuleFunction>,
  options: RegistryOptions = {},
): Map<string, ModuleFunction> {
  return new OverlayMap(base, new Map(stateFunctions(stateRuntime(options)).map((fn) => [fn.name, fn])));
}

function stateRuntime(options: RegistryOptions): StateRuntime {
  return {
    states: options.state?.states ?? createStateRegistry(),
    lock: options.state?.lock ?? createStateLock(),
    pillar: options.state?.pillar ?? (async () => ({})),
    ...(options.state?.readFile === undefined ? {} : { readFile: options.state.readFile }),
    ...(options.state?.opts === undefined ? {} : { opts: options.state.opts }),
    ...(options.state?.beforeHighstate === undefined ? {} : { beforeHighstate: options.state.beforeHighstate }),
  };
}

/**
 * A map read as `base`'s keys, each with `own`'s value where it has one; copied into the map
 * itself at the first write (copy on write), after which it is a plain map.
 */
class OverlayMap<K, V> extends Map<K, V> {
  #base: ReadonlyMap<K, V> | undefined;
  readonly #own: ReadonlyMap<K, V>;

  constructor(base: ReadonlyMap<K, V>, own: ReadonlyMap<K, V>) {
    super();
    for (const k of own.keys()) if (!base.has(k)) throw new Error(`overlay key ${String(k)} is not in the base`);
    this.#base = base;
    this.#own = own;
  }

  /** Copies the layered view into the map itself, once. */
  #materialize(): void {
    const base = this.#base;
    if (!base) return;
    this.#base = undefined;
    for (const k of base.keys()) super.set(k, (this.#own.get(k) ?? base.get(k))!);
  }

  override get size(): number {
    return this.#base ? this.#base.size : super.size;
  }

  override get(key: K): V | undefined {
    return this.#base ? (this.#own.get(key) ?? this.#base.get(key)) : super.get(key);
  }

  override has(key: K): boolean {
    return this.#base ? this.#base.has(key) : super.has(key);
  }

  override set(key: K, value: V): this {
    this.#materialize();
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.#materialize();
    return super.delete(key);
  }

  override clear(): void {
    this.#base = undefined;
    super.clear();
  }

  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  override *entries(): MapIterator<[K, V]> {
    if (!this.#base) return yield* super.entries();
    for (const k of this.#base.keys()) yield [k, this.get(k)!];
  }

  override keys(): MapIterator<K> {
    return this.#base ? this.#base.keys() : super.keys();
  }

  override *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}

/**
 * Turns a job's `fun`, positional `args` and `kwargs` into a validated input, as Salt does:
 * positional arguments fill `params` in order and the extras go to `rest` (an error without one);
 * keyword arguments go by name, and a name the schema does not know is refused. Never throws:
 * unknown functions give ERR_FUNCTION_UNKNOWN, bad arguments ERR_ARGS_INVALID naming the argument.
 */
export function prepareCall(
  registry: ReadonlyMap<string, ModuleFunction>,
  fun: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
): PreparedCall {
  const fn = registry.get(fun);
  if (fn === undefined) {
    return { ok: false, error: { code: ErrorCode.FUNCTION_UNKNOWN, message: `'${fun}' is not available` } };
  }
  const fields = new Map<string, unknown>();
  fn.params.forEach((name, i) => {
    if (i < args.length) fields.set(name, args[i]);
  });
  if (args.length > fn.params.length) {
    if (fn.rest === undefined) {
      return invalid(`${fun} takes at most ${fn.params.length} positional argument(s), got ${args.length}`);
    }
    fields.set(fn.rest, args.slice(fn.params.length));
  }
  const known = knownKeys(fn.schema);
  for (const [key, value] of Object.entries(kwargs)) {
    if (fields.has(key)) return invalid(`${fun} got more than one value for argument '${key}'`);
    if (known !== undefined && !known.has(key)) {
      return invalid(`${fun} has no argument '${key}' (it takes: ${[...known].join(', ') || 'none'})`);
    }
    fields.set(key, value);
  }
  // fromEntries defines own properties, so a `__proto__` key cannot reach the prototype.
  const parsed = fn.schema.safeParse(Object.fromEntries(fields));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`);
    return invalid(`${fun}: ${issues.join('; ')}`);
  }
  return { ok: true, fn, input: parsed.data };
}

/**
 * The argument names an object schema accepts, or undefined when it takes any (a loose object).
 * Read from the schema's definition rather than by `instanceof`: a custom module bundles its own
 * copy of zod (issue #21), whose classes are not this one's.
 */
function knownKeys(schema: z.ZodType): Set<string> | undefined {
  const def = (schema as { def?: { type?: string; shape?: object; catchall?: { def?: { type?: string } } } }).def;
  if (def?.type !== 'object' || def.shape === undefined) return undefined;
  if (def.catchall !== undefined && def.catchall.def?.type !== 'never') return undefined;
  return new Set(Object.keys(def.shape));
}

function invalid(message: string): PreparedCall {
  return { ok: false, error: { code: ErrorCode.ARGS_INVALID, message } };
}
