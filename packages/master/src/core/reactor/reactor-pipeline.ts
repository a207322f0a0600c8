import {
  type Observable,
  type SchedulerLike,
  EMPTY,
  catchError,
  debounceTime,
  filter,
  groupBy,
  map,
  mergeMap,
  scan,
  throttleTime,
} from 'rxjs';
import { compileGlob } from '@brine/protocol';
import type { BusEvent } from '../event-bus.js';

/** How events of one reactor entry are spaced per key before they become reactions. */
export interface ReactorPacing {
  /** `throttle`: the first event of a key reacts, later ones within `ms` are dropped; `debounce`: the last one reacts once the key has been quiet for `ms`. */
  mode: 'throttle' | 'debounce';
  ms: number;
  /** The key events are paced by (e.g. the minion id); events with different keys never hold each other back. */
  keyOf(event: BusEvent): string;
}

/** The loop limit: at most `max` reactions per tag in each window of `windowMs` (issue #19). */
export interface ReactorLoopLimit {
  max: number;
  windowMs: number;
}

const JID_SEGMENT = /(^|\/)\d{20}(?=\/|$)/g;

/**
 * The tag an event counts against for the loop limit: its tag with jids made `*`. A reaction to
 * `brine/job/<jid>/ret/web1` that starts a job on web1 makes a new jid each time, so counting
 * literal tags would never stop that loop; counting `brine/job/* /ret/web1` does.
 */
export function loopKey(tag: string): string {
  return tag.replace(JID_SEGMENT, '$1*');
}

/** One reactor entry as the pipeline runs it. */
export interface ReactorPipelineOptions<R> {
  /** Tag globs the entry reacts to. */
  tags: readonly string[];
  /** Optional per-key throttle or debounce. */
  pacing?: ReactorPacing;
  loopLimit: ReactorLoopLimit;
  /** Reactions of this entry running at once; later ones wait their turn. */
  concurrency: number;
  scheduler: SchedulerLike;
  /**
   * Turns one event into its reaction's outcomes (jobs started, refusals). It should not error:
   * an error is passed to `failed` and the entry goes on.
   */
  react(event: BusEvent): Observable<R>;
  /** Told once per tag and window when the loop limit drops an event (the first drop only). */
  limited(tag: string, windowMs: number): void;
  /** Told when a reaction errored. */
  failed(event: BusEvent, error: unknown): void;
}

interface Window {
  start: number;
  count: number;
}

interface LimitState {
  windows: Map<string, Window>;
  /** The event to react to, when it is within the limit. */
  event: BusEvent | undefined;
  /** The tag of an event that was the first over the limit in its tag's window. */
  firstDropTag: string | undefined;
}

/**
 * The reactor pipeline of one entry: tag filter -> loop limit per tag -> optional per-key
 * throttle or debounce -> `mergeMap` into reactions, at most `concurrency` at once.
 *
 * Emits every outcome of every reaction; completes when `events$` completes and the reactions
 * running then have completed; never errors (a failing reaction is reported to `failed`).
 * The loop limit comes before pacing, so an event storm is cut at the same point whether or
 * not the entry is paced, and the window counts events the entry would react to.
 */
export function reactor$<R>(events$: Observable<BusEvent>, o: ReactorPipelineOptions<R>): Observable<R> {
  const tests = o.tags.map((t) => compileGlob(t));
  const matching$ = events$.pipe(filter((e) => tests.some((t) => t(e.tag))));
  const allowed$ = matching$.pipe(
    scan<BusEvent, LimitState>((s, event) => limitStep(s, event, o.loopLimit, o.scheduler.now()), {
      windows: new Map(),
      event: undefined,
      firstDropTag: undefined,
    }),
    filter((s) => {
      if (s.firstDropTag !== undefined) o.limited(s.firstDropTag, o.loopLimit.windowMs);
      return s.event !== undefined;
    }),
    map((s) => s.event!),
  );
  const paced$ = o.pacing ? allowed$.pipe(pace(o.pacing, o.scheduler)) : allowed$;
  return paced$.pipe(
    mergeMap(
      (event) =>
        o.react(event).pipe(
          catchError((err: unknown) => {
            o.failed(event, err);
            return EMPTY;
          }),
        ),
      o.concurrency,
    ),
  );
}

/** One step of the per-tag fixed-window counter; windows that have ended are dropped as they are met. */
function limitStep(s: LimitState, event: BusEvent, limit: ReactorLoopLimit, now: number): LimitState {
  const windows = s.windows;
  const key = loopKey(event.tag);
  let w = windows.get(key);
  if (!w || now - w.start >= limit.windowMs) {
    w = { start: now, count: 0 };
    windows.set(key, w);
    // Keeps the map to the tags seen in the current window: at most one sweep per new window.
    for (const [tag, other] of windows) if (now - other.start >= limit.windowMs) windows.delete(tag);
  }
  w.count++;
  if (w.count <= limit.max) return { windows, event, firstDropTag: undefined };
  return { windows, event: undefined, firstDropTag: w.count === limit.max + 1 ? key : undefined };
}

/** Throttles or debounces per key; a key's group ends once it has been quiet for `ms`, so keys do not pile up. */
function pace(p: ReactorPacing, scheduler: SchedulerLike) {
  return (source$: Observable<BusEvent>): Observable<BusEvent> =>
    source$.pipe(
      groupBy(p.keyOf, { duration: (g) => g.pipe(debounceTime(p.ms, scheduler)) }),
      mergeMap((g) =>
        p.mode === 'throttle'
          ? g.pipe(throttleTime(p.ms, scheduler, { leading: true, trailing: false }))
          : g.pipe(debounceTime(p.ms, scheduler)),
      ),
    );
}
