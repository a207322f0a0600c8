/**
 * A FIFO of deadlines. Every deadline of one kind in a job is "now + a constant", and now only
 * grows, so pushing in time order keeps the queue sorted: push, peek and shift are O(1).
 */
export class DeadlineQueue<T> {
  #items: { at: number; value: T }[] = [];
  #head = 0;

  /** Adds a deadline; `at` must not be earlier than the last one pushed. */
  push(at: number, value: T): void {
    this.#items.push({ at, value });
  }

  /** The earliest deadline, or Infinity when empty. */
  get nextAt(): number {
    return this.#head < this.#items.length ? this.#items[this.#head]!.at : Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the earliest entry if it is due at `now`. */
  shiftDue(now: number): T | undefined {
    if (this.#head >= this.#items.length || this.#items[this.#head]!.at > now) return undefined;
    const { value } = this.#items[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }
}
