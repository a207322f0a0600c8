/**
 * Gathers the acks of stored returns per minion and sends them as one `ret.ack` frame after
 * `delayMs`: a minion whose returns were stored in several batches gets one frame, and a burst of
 * ten thousand returns is not answered by ten thousand writes while the rest still arrive. A
 * minion keeps a return in its outbox until the ack, so a delay (or a lost ack) only means a
 * return may be sent twice, and the job cache stores it once.
 */
export class AckCoalescer {
  #pending = new Map<string, [string, number][]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (minionId: string, items: [string, number][]) => void,
    private readonly delayMs: number,
  ) {}

  /** Queues acks for one minion. */
  add(minionId: string, items: [string, number][]): void {
    if (this.delayMs === 0) return this.send(minionId, items);
    const list = this.#pending.get(minionId);
    if (list) list.push(...items);
    else this.#pending.set(minionId, items);
    this.#timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /**
   * Takes the acks queued for one minion, to send them with the next frame going its way (a
   * published job): one write instead of two.
   */
  take(minionId: string): [string, number][] | undefined {
    const items = this.#pending.get(minionId);
    if (items) this.#pending.delete(minionId);
    return items;
  }

  /** Sends everything queued now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [id, items] of pending) this.send(id, items);
  }
}
