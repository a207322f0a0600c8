import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Options for {@link idleCollector}. */
export interface IdleCollectorOptions {
  /** Collect once no job has run for this long after a large one; 0 turns collection off. */
  idleMs: number;
  /** A job to at least this many minions counts as large. */
  minMinions: number;
  /** Whether any job is running now. */
  busy(): boolean;
}

/**
 * A full garbage collection once the master goes idle after a large job.
 *
 * A job to ten thousand minions keeps per-minion state for its whole round trip, long enough to
 * be promoted to V8's old generation, where it stays as garbage after the job until the old
 * generation reaches its next limit, a multiple of the live heap: after a few such jobs the
 * master held 60 KB of RSS per minion, against 40 KB after a full collection
 * (bench/memory-probe.mjs). V8 collects on its own only when allocation resumes, or after 8 s of
 * idleness (its memory reducer). So the master collects itself, once, when no job has run for
 * `idleMs` after a large one; a job that arrives meanwhile simply postpones it, so back-to-back
 * jobs never pay for it. (V8 flags that collect sooner all the time were measured and cost up to
 * twice the CPU per reply: docs/performance.md.)
 */
export function idleCollector(options: IdleCollectorOptions): { jobEnded(minions: number): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let due = false;
  const gc = options.idleMs > 0 ? fullCollector() : undefined;
  const check = (): void => {
    timer = undefined;
    if (!due) return;
    if (options.busy()) {
      timer = setTimeout(check, options.idleMs).unref();
      return;
    }
    due = false;
    gc?.();
  };
  return {
    jobEnded(minions) {
      if (!gc) return;
      if (minions >= options.minMinions) due = true;
      if (!due) return;
      clearTimeout(timer);
      timer = setTimeout(check, options.idleMs).unref();
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

/** V8's full collection, without starting node with --expose-gc. */
function fullCollector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  return gc;
}
