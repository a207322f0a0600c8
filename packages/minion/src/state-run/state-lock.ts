/** The state run holding a minion's lock. */
export interface LockHolder {
  jid: string;
  fun: string;
  startedAt: number;
}

/** What {@link StateLock.acquire} answers: the lock (release it when done), or who holds it. */
export type Acquired = { ok: true; release: () => void } | { ok: false; holder: LockHolder };

/**
 * One minion's state-run lock: Salt runs one state run at a time per minion, refusing a second
 * (naming the running jid) unless it asks to queue. One lock per minion, made by the minion's
 * factory (the daemon, `brine-call --local`, and each virtual minion of the swarm).
 */
export interface StateLock {
  /** Takes the lock now, or answers who holds it. */
  tryAcquire(holder: LockHolder): Acquired;
  /** Takes the lock once every run before this one is done (`queue=True`); rejects if `signal` aborts first. */
  acquire(holder: LockHolder, signal: AbortSignal): Promise<() => void>;
  /** The run holding the lock, if any. */
  holder(): LockHolder | undefined;
  /** Runs waiting for the lock, in order. */
  queued(): LockHolder[];
}

/** Makes a {@link StateLock}. */
export function createStateLock(): StateLock {
  let current: LockHolder | undefined;
  const waiting: { holder: LockHolder; grant: () => void }[] = [];
  const release = (holder: LockHolder) => () => {
    if (current !== holder) return;
    current = undefined;
    const next = waiting.shift();
    if (next !== undefined) {
      current = next.holder;
      next.grant();
    }
  };
  return {
    tryAcquire: (holder) => {
      if (current !== undefined) return { ok: false, holder: current };
      current = holder;
      return { ok: true, release: release(holder) };
    },
    acquire: (holder, signal) =>
      new Promise((resolve, reject) => {
        if (current === undefined) {
          current = holder;
          resolve(release(holder));
          return;
        }
        const entry = { holder, grant: () => resolve(release(holder)) };
        waiting.push(entry);
        signal.addEventListener(
          'abort',
          () => {
            const i = waiting.indexOf(entry);
            if (i >= 0) waiting.splice(i, 1);
            reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
          },
          { once: true },
        );
      }),
    holder: () => current,
    queued: () => waiting.map((w) => w.holder),
  };
}
