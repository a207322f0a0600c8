import type { Cluster } from '@brine/testing';
import { runJob } from './fixtures.js';

/** What a {@link StallProbe} measured. */
export interface Stalls {
  /** Round trips of `test.ping`, in ms. */
  rtts: number[];
  /** The master's largest event-loop delay over the probe (its `/metrics` gauge), in ms. */
  loopMaxMs: number;
}

/** Round trips of `test.ping` to one minion, measured while some attack runs. */
export interface StallProbe {
  /** Stops probing; resolves to what was measured (the last ping is waited for). */
  stop(): Promise<Stalls>;
}

/**
 * The master's largest event-loop delay since the previous scrape of `/metrics`, in ms (the
 * gauge resets at each scrape, so a scrape before the attack starts the window).
 */
export async function masterLoopMaxMs(cluster: Cluster): Promise<number> {
  const res = await fetch(`${cluster.endpoints.api}/metrics`, {
    headers: { authorization: `Bearer ${cluster.token}` },
  });
  const m = /^brine_event_loop_delay_max_seconds ([0-9.e+-]+)$/m.exec(await res.text());
  return m ? Math.round(Number(m[1]) * 1000) : Number.NaN;
}

/**
 * Pings `id` through the REST API back to back until stopped: the worst round trip is the
 * master's worst stall as a user sees it, beside the master's own event-loop delay gauge. A ping
 * that does not return counts as its whole wait.
 */
export function probeStalls(cluster: Cluster, id: string): StallProbe {
  const rtts: number[] = [];
  let running = true;
  const window = masterLoopMaxMs(cluster);
  const loop = (async () => {
    await window;
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
      return { rtts, loopMaxMs: await masterLoopMaxMs(cluster) };
    },
  };
}

/** The largest of some figures, rounded to a millisecond (0 for none). */
export function worst(ms: readonly number[]): number {
  return Math.round(Math.max(0, ...ms));
}
