import { encodeFrame } from '@brine/protocol';

/**
 * Gathers the acks of stored returns per minion and sends them as one `ret.ack` frame after
 * `delayMs`, or hands them over (`take`) to go with the next job published to that minion: a
 * minion whose returns were stored in several batches gets one frame, and a burst of ten thousand
 * returns is not answered by ten thousand writes while the rest still arrive. A minion keeps a
 * return in its outbox until the ack, so a delay (or a lost ack) only means a return may be sent
 * twice, and the job cache stores it once.
 */
export class AckCoalescer {
  #pending = new Map<string, [string, number][]>();
  #timer: NodeJS.Timeout | undefined;
  /** The last single-ack frame: in a fan-out every minion has the same one (jid, attempt) waiting. */
  #last: { jid: string; attempt: number; bytes: Uint8Array } | undefined;

  constructor(
    private readonly send: (minionId: string, frame: Uint8Array) => void,
    private readonly delayMs: number,
  ) {}

  /** Queues acks for one minion. */
  add(minionId: string, items: [string, number][]): void {
    if (this.delayMs === 0) return this.send(minionId, this.#frame(items));
    const list = this.#pending.get(minionId);
    if (list) list.push(...items);
    else this.#pending.set(minionId, items);
    this.#timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /**
   * Takes the acks queued for one minion as a `ret.ack` frame, to send with the next frame going
   * its way (a published job): one write instead of two.
   */
  take(minionId: string): Uint8Array | undefined {
    const items = this.#pending.get(minionId);
    if (!items) return undefined;
    this.#pending.delete(minionId);
    return this.#frame(items);
  }

  /** Sends everything queued now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [id, items] of pending) this.send(id, this.#frame(items));
  }

  /** The frame for some acks; one ack of the same (jid, attempt) as the last is not encoded again. */
  #frame(items: [string, number][]): Uint8Array {
    if (items.length !== 1) return encodeFrame({ type: 'ret.ack', items });
    const [jid, attempt] = items[0]!;
    if (this.#last?.jid !== jid || this.#last.attempt !== attempt)
      this.#last = { jid, attempt, bytes: encodeFrame({ type: 'ret.ack', items }) };
    return this.#last.bytes;
  }
}
