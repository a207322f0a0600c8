/** Limits on new pending keys; see `max_pending_keys` and its siblings in docs/config-master.md. */
export interface PendingKeyLimits {
  /** Pending keys at most, from everywhere. @default 1000 */
  maxPending: number;
  /** Pending keys at most from one source address (those recorded since the master started). @default 100 */
  maxPendingPerAddress: number;
  /** New pending ids per minute from one source address, once its burst is spent. @default 60 */
  ratePerAddressPerMin: number;
  /** New pending ids one source address may make at once. @default 20 */
  burstPerAddress: number;
}

/** Why a new id was not recorded as pending. */
export const PendingRefusal = {
  /** `max_pending_keys` pending keys already. */
  cap: 'max_pending_keys',
  /** `max_pending_keys_per_address` pending keys from this address already. */
  addressCap: 'max_pending_keys_per_address',
  /** The address's new-id rate (`pending_key_rate_per_min`, `pending_key_burst`) is spent. */
  rate: 'pending_key_rate_per_min',
} as const;
export type PendingRefusalValue = (typeof PendingRefusal)[keyof typeof PendingRefusal];

/** What the key listing says about the limits: how many keys each refused, and when last. */
export interface PendingLimitReport {
  pending: number;
  maxPending: number;
  maxPendingPerAddress: number;
  /** New ids refused since the master started, by limit. */
  refused: Record<PendingRefusalValue, number>;
  /** When an id was last refused (ms since the epoch), or null. */
  lastRefusedAt: number | null;
}

/** Most source addresses whose rate bucket is kept; the oldest is forgotten beyond it. */
const MAX_BUCKETS = 10_000;

/**
 * Decides whether a new minion id may be recorded as a pending key (issue 13 finding 6: 2,000
 * fake pending keys from one unauthenticated client were all stored, +40 MiB). It counts pending
 * keys overall and per source address, and keeps a token bucket of new ids per address. The
 * store tells it of each key that becomes or stops being pending.
 */
export class PendingKeyLimiter {
  readonly #o: PendingKeyLimits & { now(): number };
  /** Pending id to the address it came from ('' when loaded from disk: address unknown). */
  readonly #pending = new Map<string, string>();
  readonly #perAddress = new Map<string, number>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #refused: Record<PendingRefusalValue, number> = {
    max_pending_keys: 0,
    max_pending_keys_per_address: 0,
    pending_key_rate_per_min: 0,
  };
  #lastRefusedAt: number | null = null;

  constructor(options: Partial<PendingKeyLimits> & { now?: () => number } = {}) {
    this.#o = {
      maxPending: 1000,
      maxPendingPerAddress: 100,
      ratePerAddressPerMin: 60,
      burstPerAddress: 20,
      now: Date.now,
      ...options,
    };
  }

  /**
   * Takes a slot for a new pending id from `address`, or says which limit refuses it. An empty
   * address (a caller that has none) meets only the overall cap.
   */
  allow(address: string): { ok: true } | { ok: false; limit: PendingRefusalValue } {
    const o = this.#o;
    const limit =
      this.#pending.size >= o.maxPending
        ? PendingRefusal.cap
        : address && (this.#perAddress.get(address) ?? 0) >= o.maxPendingPerAddress
          ? PendingRefusal.addressCap
          : !address || this.#take(address)
            ? undefined
            : PendingRefusal.rate;
    if (limit === undefined) return { ok: true };
    this.#refused[limit]++;
    this.#lastRefusedAt = o.now();
    return { ok: false, limit };
  }

  /** A key became pending (from `address`, or '' when loaded from disk). */
  added(id: string, address: string): void {
    if (this.#pending.has(id)) return;
    this.#pending.set(id, address);
    if (address) this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
  }

  /** A key stopped being pending (accepted, rejected or deleted). */
  removed(id: string): void {
    const address = this.#pending.get(id);
    if (address === undefined) return;
    this.#pending.delete(id);
    if (!address) return;
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }

  /** The figures for the key listing. */
  report(): PendingLimitReport {
    return {
      pending: this.#pending.size,
      maxPending: this.#o.maxPending,
      maxPendingPerAddress: this.#o.maxPendingPerAddress,
      refused: { ...this.#refused },
      lastRefusedAt: this.#lastRefusedAt,
    };
  }

  #take(address: string): boolean {
    const o = this.#o;
    const now = o.now();
    let b = this.#buckets.get(address);
    if (b) this.#buckets.delete(address);
    else b = { tokens: o.burstPerAddress, at: now };
    b.tokens = Math.min(o.burstPerAddress, b.tokens + ((now - b.at) / 60_000) * o.ratePerAddressPerMin);
    b.at = now;
    // Re-inserted last: the map is in order of use, and the least recently used goes first.
    this.#buckets.set(address, b);
    if (this.#buckets.size > MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
