import type { FrameInput } from '@brine/protocol';

/** An event for the master: a tag (the master files it under `brine/minion/<id>/`) and its data. */
export interface HeldEvent {
  tag: string;
  data: unknown;
}

/**
 * Events that must reach the master although they happen before it is connected (a schedule's
 * slots missed while the minion was stopped, reported at start): each is sent at once when a
 * session is up, else held until {@link HeldEvents.flush} at the next session. Unlike beacon
 * events, which are dropped while the master is away. At most `max` are held; older ones go first.
 */
export class HeldEvents {
  readonly #held: HeldEvent[] = [];
  readonly #max: number;

  /** @param max events held at most. @default 100 */
  constructor(max = 100) {
    this.#max = max;
  }

  /** Sends the event with `send`, or holds it when `send` answers false (no session). */
  send(event: HeldEvent, send: (frame: FrameInput) => boolean): void {
    if (send({ type: 'event', tag: event.tag, data: event.data })) return;
    this.#held.push(event);
    if (this.#held.length > this.#max) this.#held.shift();
  }

  /** Sends what is held, in order, through a new session; what it cannot send stays held. */
  flush(send: (frame: FrameInput) => boolean): void {
    while (this.#held.length > 0) {
      const next = this.#held[0]!;
      if (!send({ type: 'event', tag: next.tag, data: next.data })) return;
      this.#held.shift();
    }
  }

  /** How many are held. */
  get size(): number {
    return this.#held.length;
  }
}
