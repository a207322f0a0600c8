import { TooManyRequestsError } from '../shared/errors.js';

/** Options for {@link LoginLimiter}; the config keys are `api.login_*` (docs/config-master.md). */
export interface LoginLimits {
  /** Failed logins from one address before it must wait. @default 10 */
  freeFailuresPerAddress: number;
  /** Failed logins for one user name, from anywhere, before it must wait. @default 20 */
  freeFailuresPerUser: number;
  /** The longest wait; also how long a quiet name or address keeps its count. @default 900_000 */
  maxBackoffMs: number;
  /** Password checks (scrypt) running at once. @default 2 */
  maxConcurrent: number;
  /** Password checks waiting for a slot; past it a login is refused with 429. @default 64 */
  maxQueued: number;
  /** Logins from one address running or waiting at once. @default 2 */
  maxPerAddress: number;
  /**
   * A refused login is answered after this long (or its wait, if shorter), so a guesser that
   * waits for each answer sends one request a second per connection instead of thousands; at
   * most 1,000 answers are held at once, the rest go at once. @default 1000
   */
  refusalDelayMs: number;
  now(): number;
  /** Resolves after `ms` (injected so tests need no real timers). @default setTimeout */
  sleep(ms: number): Promise<void>;
}

interface Failures {
  count: number;
  lastAt: number;
  blockedUntil: number;
}

/** Most addresses and user names whose failures are kept; the least recently failed go first. */
const MAX_TRACKED = 10_000;
/** Refused logins whose answers are held at once (see `refusalDelayMs`). */
const MAX_HELD = 1000;
/** Addresses that logged in as a user, remembered per user (they skip that user's backoff). */
const MAX_TRUSTED_PER_USER = 16;

/**
 * Limits password logins (issue 13 finding 8: 800 guesses a minute from one client, and a
 * 16-wide flood slowed legitimate logins from 0.17 s to 1-4.6 s).
 *
 * - Each address and each user name has a count of failures; past its free failures each further
 *   one doubles a wait (1 s, 2 s, ... up to `maxBackoffMs`), and a login inside the wait is
 *   answered 429 with `Retry-After` before any password is hashed. A success clears the
 *   address's count; a count is forgotten after `maxBackoffMs` without failures.
 * - An address that logged in as a user recently skips that user's wait, so guessing a
 *   user's password from elsewhere does not lock that user out of the places it logs in from.
 * - scrypt runs on libuv's thread pool (4 threads), which a flood used to fill: at most
 *   `maxConcurrent` checks run at once, the rest wait in a queue served address by address in
 *   turn, and one address has at most `maxPerAddress` logins running or waiting.
 */
export class LoginLimiter {
  readonly #o: LoginLimits;
  readonly #byAddress = new Map<string, Failures>();
  readonly #byUser = new Map<string, Failures>();
  readonly #trusted = new Map<string, Map<string, number>>();
  readonly #inFlight = new Map<string, number>();
  /** Waiting logins per address, in arrival order. */
  readonly #queues = new Map<string, (() => void)[]>();
  /** When each address with logins going last got a slot (a sequence number). */
  readonly #servedAt = new Map<string, number>();
  #served = 0;
  #queued = 0;
  #running = 0;
  #held = 0;

  constructor(options: Partial<LoginLimits> = {}) {
    this.#o = {
      freeFailuresPerAddress: 10,
      freeFailuresPerUser: 20,
      maxBackoffMs: 900_000,
      maxConcurrent: 2,
      maxQueued: 64,
      maxPerAddress: 2,
      refusalDelayMs: 1000,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
      ...options,
    };
  }

  /**
   * Runs one password check for `user` from `address` under the limits: throws
   * TooManyRequestsError (429) when either is waiting out a backoff, the address has too many
   * logins going, or the queue is full; otherwise resolves to what `check` resolved to, counting
   * `undefined` as a failure.
   */
  async attempt<T>(address: string, user: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const wait = this.#waitFor(address, user);
    if (wait > 0) return this.#refuse('too many failed logins; retry later', wait);
    const going = this.#inFlight.get(address) ?? 0;
    if (going >= this.#o.maxPerAddress || this.#queued >= this.#o.maxQueued)
      return this.#refuse('too many logins at once; retry later', 1000);
    this.#inFlight.set(address, going + 1);
    let result: T | undefined;
    let waitAfterQueue = 0;
    try {
      await this.#slot(address);
      this.#servedAt.set(address, this.#served++);
      try {
        // Failures of others while this one queued may have started a backoff: no scrypt then.
        waitAfterQueue = this.#waitFor(address, user);
        if (waitAfterQueue === 0) {
          result = await check();
          this.#record(address, user, result !== undefined);
        }
      } finally {
        this.#running--;
        this.#next();
      }
    } finally {
      const left = (this.#inFlight.get(address) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(address, left);
      else {
        this.#inFlight.delete(address);
        this.#servedAt.delete(address);
      }
    }
    if (waitAfterQueue > 0) return this.#refuse('too many failed logins; retry later', waitAfterQueue);
    return result;
  }

  /** How long `user` from `address` must still wait, in ms (0: may try now). */
  #waitFor(address: string, user: string): number {
    const now = this.#o.now();
    return Math.max(
      this.#waitMs(this.#byAddress, address, now),
      this.#isTrusted(user, address, now) ? 0 : this.#waitMs(this.#byUser, user, now),
    );
  }

  /** Throws the 429, after holding the answer a while (see `refusalDelayMs`). */
  async #refuse(message: string, waitMs: number): Promise<never> {
    const hold = Math.min(waitMs, this.#o.refusalDelayMs);
    if (hold > 0 && this.#held < MAX_HELD) {
      this.#held++;
      try {
        await this.#o.sleep(hold);
      } finally {
        this.#held--;
      }
    }
    throw new TooManyRequestsError(message, Math.max(1, (waitMs - hold) / 1000));
  }

  #slot(address: string): Promise<void> {
    if (this.#running < this.#o.maxConcurrent && this.#queued === 0) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const q = this.#queues.get(address);
      if (q) q.push(resolve);
      else this.#queues.set(address, [resolve]);
      this.#queued++;
    });
  }

  /**
   * Starts the next waiting login: of the addresses waiting (at most `maxQueued`), the one
   * served longest ago, or never while it had logins going; the first to wait among equals.
   */
  #next(): void {
    while (this.#running < this.#o.maxConcurrent && this.#queued > 0) {
      let address = '';
      let oldest = Infinity;
      for (const waiting of this.#queues.keys()) {
        const served = this.#servedAt.get(waiting) ?? -1;
        if (served < oldest) [address, oldest] = [waiting, served];
      }
      const q = this.#queues.get(address)!;
      const start = q.shift()!;
      this.#queues.delete(address);
      if (q.length > 0) this.#queues.set(address, q);
      this.#queued--;
      this.#running++;
      start();
    }
  }

  #record(address: string, user: string, ok: boolean): void {
    const now = this.#o.now();
    if (ok) {
      this.#byAddress.delete(address);
      const trusted = this.#trusted.get(user) ?? new Map<string, number>();
      trusted.delete(address);
      trusted.set(address, now);
      if (trusted.size > MAX_TRUSTED_PER_USER) trusted.delete(trusted.keys().next().value!);
      this.#trusted.delete(user);
      this.#trusted.set(user, trusted);
      if (this.#trusted.size > MAX_TRACKED) this.#trusted.delete(this.#trusted.keys().next().value!);
      return;
    }
    this.#fail(this.#byAddress, address, this.#o.freeFailuresPerAddress, now);
    this.#fail(this.#byUser, user, this.#o.freeFailuresPerUser, now);
  }

  #fail(map: Map<string, Failures>, key: string, free: number, now: number): void {
    const prior = map.get(key);
    const f = prior && now - prior.lastAt <= this.#o.maxBackoffMs ? prior : { count: 0, lastAt: now, blockedUntil: 0 };
    f.count++;
    f.lastAt = now;
    if (f.count > free)
      f.blockedUntil = now + Math.min(this.#o.maxBackoffMs, 1000 * 2 ** Math.min(30, f.count - free - 1));
    // Re-inserted last: the map is in order of the last failure, and the oldest goes first.
    map.delete(key);
    map.set(key, f);
    if (map.size > MAX_TRACKED) map.delete(map.keys().next().value!);
  }

  #waitMs(map: Map<string, Failures>, key: string, now: number): number {
    const f = map.get(key);
    return f ? Math.max(0, f.blockedUntil - now) : 0;
  }

  #isTrusted(user: string, address: string, now: number): boolean {
    const at = this.#trusted.get(user)?.get(address);
    return at !== undefined && now - at <= 30 * 86_400_000;
  }
}
