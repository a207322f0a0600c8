/**
 * Admission control for handshakes: a token bucket refilled at `ratePerSec`, and a cap on
 * connections still authenticating. The excess is told when to come back, spread with jitter so
 * a reconnect storm does not return in lockstep.
 */
export class Admission {
  #tokens: number;
  #last: number;
  #authenticating = 0;

  constructor(
    private readonly options: {
      ratePerSec: number;
      burst: number;
      maxAuthenticating: number;
      now: () => number;
      random: () => number;
    },
  ) {
    this.#tokens = options.burst;
    this.#last = options.now();
  }

  /** Takes a slot for a new handshake; returns a retry delay in ms when refused. */
  enter(): { ok: true } | { ok: false; retryAfterMs: number } {
    const o = this.options;
    const now = o.now();
    this.#tokens = Math.min(o.burst, this.#tokens + ((now - this.#last) / 1000) * o.ratePerSec);
    this.#last = now;
    if (this.#tokens < 1 || this.#authenticating >= o.maxAuthenticating) {
      // Spread the retries over the time the backlog needs at our rate, plus jitter.
      const backlogMs = ((this.#authenticating + 1) / o.ratePerSec) * 1000;
      return { ok: false, retryAfterMs: Math.round(1000 + backlogMs * (1 + o.random())) };
    }
    this.#tokens -= 1;
    this.#authenticating++;
    return { ok: true };
  }

  /** Releases a slot taken by `enter` (handshake finished or failed). */
  leave(): void {
    if (this.#authenticating > 0) this.#authenticating--;
  }

  get authenticating(): number {
    return this.#authenticating;
  }
}
