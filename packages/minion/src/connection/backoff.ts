/** Options for {@link backoffDelayMs}. */
export interface BackoffOptions {
  /** First ceiling, in ms. @default 1000 */
  baseMs: number;
  /** Largest delay, in ms. @default 60000 */
  capMs: number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(cap, base * 2^attempt)), so a
 * thousand minions that lost the master together come back spread out, not in lockstep.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
