/** How a minion orders its masters: Salt's `master_type`. */
export const MasterOrder = {
  /** Start at a random master, and after each drop or failed connect try another at random. */
  random: 'random',
  /** Start at the first master, and after each drop or failed connect try the next in the list. */
  failover: 'failover',
} as const;
export type MasterOrderValue = (typeof MasterOrder)[keyof typeof MasterOrder];

/**
 * The masters a minion may connect to and which one is next. Every master of a list shares one
 * database and one identity key (docs/scale.md), so the pinned key holds for each, and the
 * minion's outbox and jid log carry over: returns of jobs in flight reach the job cache through
 * whichever master the minion reaches next.
 */
export class MasterList {
  readonly #urls: readonly string[];
  readonly #order: MasterOrderValue;
  readonly #random: () => number;
  #index: number;

  /** `urls` must hold at least one URL. */
  constructor(urls: readonly string[], order: MasterOrderValue, random: () => number = Math.random) {
    if (urls.length === 0) throw new RangeError('a minion needs at least one master');
    this.#urls = urls;
    this.#order = order;
    this.#random = random;
    this.#index = order === 'random' ? Math.floor(random() * urls.length) : 0;
  }

  /** The master to connect to now. */
  get current(): string {
    return this.#urls[this.#index]!;
  }

  /** Moves to the master to try after the current one dropped or could not be reached. */
  advance(): string {
    const n = this.#urls.length;
    if (n > 1) {
      // Random: any other master, uniformly. Failover: the next one, wrapping around.
      const step = this.#order === 'random' ? 1 + Math.floor(this.#random() * (n - 1)) : 1;
      this.#index = (this.#index + step) % n;
    }
    return this.current;
  }
}
