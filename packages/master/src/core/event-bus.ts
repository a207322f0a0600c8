import { Observable, Subject, filter } from 'rxjs';
import { globMatch } from '@brine/protocol';

/** One event on the bus: a slash-separated tag and its data. */
export interface BusEvent {
  tag: string;
  data: unknown;
  /** Milliseconds since the epoch. */
  stamp: number;
}

/** Tag prefixes only the master may publish under; minion events go under `brine/minion/<id>/`. */
export const RESERVED_TAG_PREFIXES = ['brine/job/', 'brine/key/', 'brine/master/', 'brine/auth/'] as const;

/**
 * The master's event bus: every step of every job and connection, as tagged events.
 * `publish` is synchronous; subscribers filter by tag glob.
 */
export class EventBus {
  readonly #subject = new Subject<BusEvent>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Publishes an event to current subscribers. */
  publish(tag: string, data: unknown): void {
    if (!this.#subject.observed) return;
    this.#subject.next({ tag, data, stamp: this.#now() });
  }

  /**
   * Events whose tag matches any of `globs` (all events when empty). Emits from subscription
   * on; completes when the bus is closed; never errors.
   */
  events$(globs: readonly string[] = []): Observable<BusEvent> {
    const all = this.#subject.asObservable();
    if (globs.length === 0) return all;
    return all.pipe(filter((e) => globs.some((g) => globMatch(g, e.tag))));
  }

  /** Completes every subscriber's stream. */
  close(): void {
    this.#subject.complete();
  }
}
