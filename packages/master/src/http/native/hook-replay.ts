/** Options for {@link HookReplayGuard}. */
export interface HookReplayOptions {
  /** How far a signed timestamp may be from now, either way. @default 300_000 (5 min) */
  maxAgeMs: number;
  /** Signatures remembered at once; past it, new requests are refused rather than replays let in. @default 100_000 */
  maxRemembered: number;
  now(): number;
}

/** What {@link HookReplayGuard.admit} decided: admitted, or why not. */
export type ReplayVerdict = 'ok' | 'stale' | 'replayed' | 'full';

/**
 * Refuses webhook requests whose signed timestamp is outside the window and requests whose
 * signature was seen within it (issue 13 finding 7: a captured signed request replayed without
 * limit). A signature is remembered for twice the window after it was first seen, which outlasts
 * any timestamp the window accepts (up to `maxAgeMs` in the future, then `maxAgeMs` old); the
 * memory expires in arrival order, so pruning is a walk from the oldest entry. Only signatures
 * that verified are remembered, so an unauthenticated client cannot fill the memory.
 */
export class HookReplayGuard {
  readonly #o: HookReplayOptions;
  /** `<hook> <signature>` to the time it may be forgotten, in arrival order. */
  readonly #seen = new Map<string, number>();

  constructor(options: Partial<HookReplayOptions> = {}) {
    this.#o = { maxAgeMs: 300_000, maxRemembered: 100_000, now: Date.now, ...options };
  }

  /** Whether a timestamp (ms) is within the window; checked before the HMAC is computed. */
  fresh(timestampMs: number): boolean {
    return Math.abs(this.#o.now() - timestampMs) <= this.#o.maxAgeMs;
  }

  /** Admits a verified signature once: `replayed` when it was admitted before, `full` when memory is. */
  admit(hook: string, signature: string, timestampMs: number): ReplayVerdict {
    const now = this.#o.now();
    if (!this.fresh(timestampMs)) return 'stale';
    for (const [key, forgetAt] of this.#seen) {
      if (forgetAt > now) break;
      this.#seen.delete(key);
    }
    const key = `${hook} ${signature.toLowerCase()}`;
    if (this.#seen.has(key)) return 'replayed';
    if (this.#seen.size >= this.#o.maxRemembered) return 'full';
    this.#seen.set(key, now + 2 * this.#o.maxAgeMs);
    return 'ok';
  }

  /** Signatures remembered now. */
  get size(): number {
    return this.#seen.size;
  }
}
