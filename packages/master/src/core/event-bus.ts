import { Observable, type Subscriber } from 'rxjs';
import { compileGlob } from '@brine/protocol';

/** One event on the bus: a slash-separated tag and its data. */
export interface BusEvent {
  tag: string;
  data: unknown;
  /** Milliseconds since the epoch. */
  stamp: number;
}

/** Tag prefixes only the master may publish under; minion events go under `brine/minion/<id>/`. */
export const RESERVED_TAG_PREFIXES = ['brine/job/', 'brine/key/', 'brine/master/', 'brine/auth/'] as const;

/** Prefixes a fired event (a reaction's or `brine-run event.send`) may not use: the master's own, and those that speak for a minion. */
const UNFIREABLE_PREFIXES: readonly string[] = [...RESERVED_TAG_PREFIXES, 'brine/minion/', 'brine/beacon/'];

/**
 * Whether a person or a reaction may fire an event with this tag on the master's bus: not under
 * the master's prefixes nor those that speak for a minion, and no empty or `..` segment.
 */
export function mayFireTag(tag: string): boolean {
  return (
    tag !== '' &&
    !UNFIREABLE_PREFIXES.some((p) => tag.startsWith(p)) &&
    !tag.split('/').some((s) => s === '' || s === '..')
  );
}

interface Listener {
  matches(tag: string): boolean;
  sink: Subscriber<BusEvent>;
}

/**
 * The master's event bus: every step of every job and connection, as tagged events.
 * `publish` is synchronous; subscribers filter by tag glob.
 *
 * The bus is on the hot path (an event per return, ten thousand per fan-out) and is always
 * listened to (the job-duration histogram wants every `brine/job/* /done`), so each listener's
 * globs are compiled once, a glob's literal head and tail reject most tags before the glob
 * itself runs, and an event object is made only when some listener wants it.
 */
export class EventBus {
  readonly #now: () => number;
  /** Replaced, never changed in place: a publish walks the array it started with. */
  #listeners: readonly Listener[] = [];
  #closed = false;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Publishes an event to current subscribers whose globs match its tag. */
  publish(tag: string, data: unknown): void {
    const listeners = this.#listeners;
    let event: BusEvent | undefined;
    for (const l of listeners) if (l.matches(tag)) l.sink.next((event ??= { tag, data, stamp: this.#now() }));
  }

  /**
   * Events whose tag matches any of `globs` (all events when empty). Emits from subscription
   * on; completes when the bus is closed; never errors.
   */
  events$(globs: readonly string[] = []): Observable<BusEvent> {
    const matches = tagMatcher(globs);
    return new Observable<BusEvent>((sink) => {
      if (this.#closed) {
        sink.complete();
        return undefined;
      }
      const listener: Listener = { matches, sink };
      this.#listeners = [...this.#listeners, listener];
      return () => {
        this.#listeners = this.#listeners.filter((l) => l !== listener);
      };
    });
  }

  /** Completes every subscriber's stream. */
  close(): void {
    this.#closed = true;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const l of listeners) l.sink.complete();
  }
}

/** A predicate for tags matching any of `globs`; every tag when there are none. */
function tagMatcher(globs: readonly string[]): (tag: string) => boolean {
  if (globs.length === 0) return () => true;
  const tests = globs.map((glob) => {
    const full = compileGlob(glob);
    // The literal text before the first and after the last metacharacter must match as is.
    const first = glob.search(/[*?[]/);
    if (first === -1) return (tag: string) => tag === glob;
    const head = glob.slice(0, first);
    // A tail only without character classes, whose brackets could end anywhere.
    const tail = glob.includes('[') ? '' : glob.slice(Math.max(glob.lastIndexOf('*'), glob.lastIndexOf('?')) + 1);
    return (tag: string) => tag.startsWith(head) && tag.endsWith(tail) && full(tag);
  });
  return tests.length === 1 ? tests[0]! : (tag) => tests.some((t) => t(tag));
}
