import type { Cluster } from '@brine/testing';
import { runJob } from './fixtures.js';

/** Round trips of `test.ping` to one minion, measured while some attack runs. */
export interface StallProbe {
  /** Stops probing; resolves to the round trips in ms (the last one waited for). */
  stop(): Promise<number[]>;
}

/**
 * Pings `id` through the REST API back to back until stopped: the worst round trip is the
 * master's worst stall as a user sees it (the master's own event-loop monitor is not reachable
 * from a test). A ping that does not return counts as its whole wait.
 */
export function probeStalls(cluster: Cluster, id: string): StallProbe {
  const rtts: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      const job = await runJob(cluster, { target: id, fun: 'test.ping', timeoutMs: 20_000 }).catch(() => undefined);
      const ms = performance.now() - t0;
      rtts.push(job?.minions[id]?.outcome === 'returned' ? ms : Math.max(ms, 20_000));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return rtts;
    },
  };
}

/** The largest of some figures, rounded to a millisecond (0 for none). */
export function worst(ms: readonly number[]): number {
  return Math.round(Math.max(0, ...ms));
}
