import {
  type Observable,
  type ObservableInput,
  type SchedulerLike,
  EMPTY,
  catchError,
  defer,
  exhaustMap,
  from,
  map,
  merge,
  mergeMap,
  timer,
} from 'rxjs';

/** One thing a beacon noticed: a tag under `beacon/<name>/` and its data. */
export interface BeaconEvent {
  /** Appended to `beacon/<name>/`; empty for the beacon's own tag. No empty or `..` parts. */
  tag: string;
  data: Record<string, unknown>;
}

/** A beacon: polled every `intervalMs`; what it noticed since the last poll is its answer. */
export interface Beacon {
  /** The configured name; events are tagged `beacon/<name>/...` (on the master: `brine/beacon/<id>/<name>/...`). */
  name: string;
  intervalMs: number;
  poll(): ObservableInput<BeaconEvent[]>;
  /** Releases what the beacon holds (watchers). */
  close?(): void;
}

/** A beacon event ready for the wire. */
export interface OutgoingBeaconEvent {
  beacon: string;
  /** `beacon/<name>[/<tag>]`. */
  tag: string;
  data: Record<string, unknown>;
}

/** What {@link beacons$} is given besides the beacons. */
export interface BeaconsOptions {
  scheduler: SchedulerLike;
  /** The most events one poll of one beacon may send; the rest are dropped (rate limit at the source). */
  maxEventsPerPoll: number;
  /** Told when a poll failed; the beacon is polled again at its next interval. */
  failed(beacon: string, error: unknown): void;
  /** Told when a poll found more events than `maxEventsPerPoll`. */
  dropped(beacon: string, count: number): void;
}

/**
 * Polls every beacon at its interval (first at once) and emits what they noticed. A poll still
 * running when the next is due is not doubled (`exhaustMap`); a failing poll is reported and
 * the beacon goes on; a poll's excess over `maxEventsPerPoll` is dropped and reported. Never
 * completes on its own and never errors; unsubscribing stops every timer.
 */
export function beacons$(beacons: readonly Beacon[], o: BeaconsOptions): Observable<OutgoingBeaconEvent> {
  return merge(
    ...beacons.map((b) =>
      timer(0, b.intervalMs, o.scheduler).pipe(
        exhaustMap(() =>
          defer(() => from(b.poll())).pipe(
            catchError((err: unknown) => {
              o.failed(b.name, err);
              return EMPTY;
            }),
          ),
        ),
        mergeMap((events) => {
          if (events.length > o.maxEventsPerPoll) o.dropped(b.name, events.length - o.maxEventsPerPoll);
          return events.slice(0, o.maxEventsPerPoll);
        }),
        map((e) => ({ beacon: b.name, tag: e.tag ? `beacon/${b.name}/${e.tag}` : `beacon/${b.name}`, data: e.data })),
      ),
    ),
  );
}
