import type { StateFunction } from './states/types.js';

/**
 * A virtual minion's state functions as `state.apply` reads them: its own registry (built-in and
 * custom, swapped in place by its extension manager) once it has one, else the swarm's shared
 * built-ins. A minion that never syncs holds no copy: the view is two fields.
 */
export class SwarmStates implements ReadonlyMap<string, StateFunction> {
  readonly #shared: ReadonlyMap<string, StateFunction>;
  /** Set when the minion's extension manager is made. */
  own: Map<string, StateFunction> | undefined;

  constructor(shared: ReadonlyMap<string, StateFunction>) {
    this.#shared = shared;
  }

  get #now(): ReadonlyMap<string, StateFunction> {
    return this.own ?? this.#shared;
  }

  get size(): number {
    return this.#now.size;
  }

  get(key: string): StateFunction | undefined {
    return this.#now.get(key);
  }

  has(key: string): boolean {
    return this.#now.has(key);
  }

  forEach(cb: (value: StateFunction, key: string, map: ReadonlyMap<string, StateFunction>) => void): void {
    for (const [k, v] of this.#now) cb(v, k, this);
  }

  entries(): MapIterator<[string, StateFunction]> {
    return this.#now.entries();
  }

  keys(): MapIterator<string> {
    return this.#now.keys();
  }

  values(): MapIterator<StateFunction> {
    return this.#now.values();
  }

  [Symbol.iterator](): MapIterator<[string, StateFunction]> {
    return this.#now.entries();
  }
}
