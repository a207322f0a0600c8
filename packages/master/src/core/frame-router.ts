import { Observable } from 'rxjs';
import type { JobFrame } from './minion-link.js';

/**
 * Routes job frames from all minions to the runs waiting for them, in O(1) per frame: a map
 * from jid to minion id to listeners. This is the edge where socket callbacks become streams.
 */
export class FrameRouter {
  readonly #routes = new Map<string, Map<string, Set<(f: JobFrame) => void>>>();

  /**
   * Frames about `jid` from minion `id`. Emits each frame routed while subscribed; never
   * completes or errors by itself; unsubscribing removes the route.
   */
  frames$(jid: string, id: string): Observable<JobFrame> {
    return new Observable<JobFrame>((subscriber) => {
      let byMinion = this.#routes.get(jid);
      if (!byMinion) this.#routes.set(jid, (byMinion = new Map()));
      let listeners = byMinion.get(id);
      if (!listeners) byMinion.set(id, (listeners = new Set()));
      const listener = (f: JobFrame) => subscriber.next(f);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) byMinion.delete(id);
        if (byMinion.size === 0) this.#routes.delete(jid);
      };
    });
  }

  /** Delivers a frame; returns false when nobody waits for it (a late or unknown job). */
  route(frame: JobFrame): boolean {
    const listeners = this.#routes.get(frame.jid)?.get(frame.minionId);
    if (!listeners) return false;
    for (const l of [...listeners]) l(frame);
    return true;
  }

  /** Number of jobs with a listener, for leak checks. */
  get size(): number {
    return this.#routes.size;
  }
}
