import { Observable } from 'rxjs';
import type { JobFrame } from './minion-link.js';

/**
 * Routes job frames from all minions to the job waiting for them, in O(1) per frame: a map from
 * jid to listeners. This is the edge where socket callbacks become streams.
 */
export class FrameRouter {
  readonly #routes = new Map<string, Set<(f: JobFrame) => void>>();

  /**
   * Frames about `jid` from any minion. Emits each frame routed while subscribed; never
   * completes or errors by itself; unsubscribing removes the route.
   */
  frames$(jid: string): Observable<JobFrame> {
    return new Observable<JobFrame>((subscriber) => {
      let listeners = this.#routes.get(jid);
      if (!listeners) this.#routes.set(jid, (listeners = new Set()));
      const listener = (f: JobFrame) => subscriber.next(f);
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) this.#routes.delete(jid);
      };
    });
  }

  /** Delivers a frame; returns false when nobody waits for it (a late or unknown job). */
  route(frame: JobFrame): boolean {
    const listeners = this.#routes.get(frame.jid);
    if (!listeners) return false;
    for (const l of listeners) l(frame);
    return true;
  }

  /** Number of jobs with a listener, for leak checks. */
  get size(): number {
    return this.#routes.size;
  }
}
