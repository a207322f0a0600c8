/**
 * A double-ended queue with O(1) `shift` and `pop`: an array and a head index, compacted as it
 * goes (`Array.prototype.shift` moves every item: O(n) per call on a queue of 10,000).
 */
export class Deque<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** Items in the queue. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item at the end. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** The first item, left in place; undefined when empty. */
  first(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  /** Removes and returns the first item; undefined when empty. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns the last item; undefined when empty. */
  pop(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items.pop();
    if (this.#head >= this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every item, first to last. */
  drain(): T[] {
    const rest = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return rest;
  }
}
