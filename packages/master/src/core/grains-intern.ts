/**
 * Grains as the master keeps them, shared where minions agree.
 *
 * Ten thousand minions mostly report the same grain values (os, kernel, cpu_model, an
 * `ipv6: ['::1', …]` list): kept as decoded, each minion held its own copy of every string,
 * list and nested map, plus a dictionary-mode object (a decoded map is built key by key), about
 * 4 KB a minion in the master's heap. Interned, equal values are one shared, frozen value, and
 * each minion's grains is a plain object whose layout (hidden class) all minions of one version
 * share.
 *
 * The table is bounded: past `maxEntries` distinct values it starts afresh (values already in
 * use stay shared; later ones are interned again), so values unique to one minion (its id, its
 * machine_id) cannot make it grow without end.
 */
const MAX_LAYOUTS = 64;

export class GrainsInterner {
  #strings = new Map<string, string>();
  readonly #layouts = new Map<string, (values: unknown[]) => Record<string, unknown>>();
  #structures = new Map<string, unknown>();

  constructor(private readonly maxEntries = 100_000) {}

  /** A copy of `grains` whose values are shared with equal values of other minions. */
  intern(grains: Record<string, unknown>): Record<string, unknown> {
    const keys = Object.keys(grains);
    const values = keys.map((k) => this.#value(grains[k]));
    const make = this.#layout(keys);
    if (make) return make(values);
    const out: Record<string, unknown> = {};
    keys.forEach((key, i) => {
      // Defined, not assigned: a key named __proto__ must stay a key, not become a prototype.
      Object.defineProperty(out, key, { value: values[i], enumerable: true, writable: true, configurable: true });
    });
    return out;
  }

  /**
   * A maker of plain objects with these keys, in this order, one per distinct key list. Built key
   * by key in one process-wide transition tree, a grains object of two dozen keys ended up in
   * dictionary mode in the master (1.6 KB of property table each); made by a constructor of its
   * own, whose prototype is Object.prototype, it keeps fast properties (about 250 bytes). Keys
   * become JSON string literals in the generated code, so no key can inject code; a list with
   * `__proto__`, or past the number of layouts kept, gets no maker.
   */
  #layout(keys: string[]): ((values: unknown[]) => Record<string, unknown>) | undefined {
    if (keys.length > 256 || keys.includes('__proto__')) return undefined;
    const id = keys.join('\0');
    let make = this.#layouts.get(id);
    if (make === undefined && this.#layouts.size < MAX_LAYOUTS) {
      const body = keys.map((k, i) => `this[${JSON.stringify(k)}] = v[${i}];`).join('\n');
      const Layout = new Function('v', body) as unknown as new (v: unknown[]) => Record<string, unknown>;
      Layout.prototype = Object.prototype;
      make = (values) => new Layout(values);
      this.#layouts.set(id, make);
    }
    return make;
  }

  /** Distinct values in the table now. */
  get size(): number {
    return this.#strings.size + this.#structures.size;
  }

  #value(value: unknown): unknown {
    if (typeof value === 'string') {
      const known = this.#strings.get(value);
      if (known !== undefined) return known;
      this.#makeRoom();
      this.#strings.set(value, value);
      return value;
    }
    // Lists and maps are keyed by their JSON, so only those JSON renders faithfully are shared.
    if (typeof value !== 'object' || value === null || !jsonFaithful(value, 0)) return value;
    const key = JSON.stringify(value);
    const known = this.#structures.get(key);
    if (known !== undefined) return known;
    this.#makeRoom();
    const shared = deepFreeze(JSON.parse(key) as unknown);
    this.#structures.set(key, shared);
    return shared;
  }

  #makeRoom(): void {
    if (this.size < this.maxEntries) return;
    this.#strings = new Map();
    this.#structures = new Map();
  }
}

/** Strings, finite numbers, booleans, null, and lists and plain maps of them, not too deep. */
function jsonFaithful(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object' || depth > 16) return false;
  if (Array.isArray(value)) return value.every((v) => jsonFaithful(v, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((v) => jsonFaithful(v, depth + 1));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
