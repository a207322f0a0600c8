/** A token bucket's settings: `perSec` tokens a second, at most `burst` saved up. */
export interface EventRate {
  perSec: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
  /** Events dropped since the last report. */
  dropped: number;
  reportedAt: number;
}

/** What {@link MinionEventLimiter.allow} answers: whether to publish, and a drop count to report. */
export interface EventVerdict {
  allow: boolean;
  /** Set (once per `reportEveryMs` per minion) when events were dropped: how many since the last report. */
  report?: number;
}

/**
 * Rate limit of events a minion sends (`event.send`, beacons), one token bucket per minion, so
 * a minion in a loop cannot flood the bus and every reactor on it. Drops are counted and
 * reported at most once per `reportEveryMs` per minion, so the log is not flooded either.
 * Time comes from the caller; `forget` drops a minion's bucket when it disconnects.
 */
export class MinionEventLimiter {
  readonly #rate: EventRate;
  readonly #reportEveryMs: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(rate: EventRate, reportEveryMs = 10_000) {
    this.#rate = rate;
    this.#reportEveryMs = reportEveryMs;
  }

  /** Takes a token for one event of `minionId` at `now`. */
  allow(minionId: string, now: number): EventVerdict {
    let b = this.#buckets.get(minionId);
    if (!b)
      this.#buckets.set(
        minionId,
        (b = { tokens: this.#rate.burst, at: now, dropped: 0, reportedAt: Number.NEGATIVE_INFINITY }),
      );
    b.tokens = Math.min(this.#rate.burst, b.tokens + ((now - b.at) / 1000) * this.#rate.perSec);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allow: true };
    }
    b.dropped++;
    if (now - b.reportedAt >= this.#reportEveryMs) {
      const report = b.dropped;
      b.dropped = 0;
      b.reportedAt = now;
      return { allow: false, report };
    }
    return { allow: false };
  }

  /** Forgets a minion's bucket. */
  forget(minionId: string): void {
    this.#buckets.delete(minionId);
  }
}
