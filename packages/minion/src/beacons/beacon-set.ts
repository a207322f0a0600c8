import {
  type Observable,
  EMPTY,
  catchError,
  defer,
  filter,
  finalize,
  map,
  mergeMap,
  pairwise,
  share,
  startWith,
  takeUntil,
} from 'rxjs';
import { beacons$, type Beacon, type BeaconsOptions, type OutgoingBeaconEvent } from './beacon.js';

/** Beacon options by beacon name, as the `beacons:` section holds them (validated). */
export type BeaconConfigs = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** What {@link beaconSet$} needs besides the configurations. */
export interface BeaconSetOptions extends BeaconsOptions {
  /** Builds one beacon from its options; a throw is reported to `failed` and that beacon stays off. */
  make(name: string, options: Record<string, unknown>): Beacon;
  /** Told when a beacon has been built and starts, and when it has stopped (for the log). @default nothing */
  lifecycle?(name: string, change: 'started' | 'stopped'): void;
}

/** A beacon to stop (`key` undefined) or to start with the options whose JSON is `key`. */
interface Slot {
  name: string;
  key: string | undefined;
}

/**
 * Runs the beacons of the latest configuration `configs$` gave (the minion config's merged with
 * the pillar's, issue #19): at each configuration, a beacon that is new starts, one that is gone
 * stops (its watchers closed), one whose options changed stops and then starts anew, and one
 * left as it was goes on untouched (its poll grid and what it remembers stay). Emits what the
 * running beacons notice, as {@link beacons$} does; completes when `configs$` completes and every
 * beacon has stopped (so in practice never: beacons run until unsubscribed); never errors.
 */
export function beaconSet$(configs$: Observable<BeaconConfigs>, o: BeaconSetOptions): Observable<OutgoingBeaconEvent> {
  const slots$ = configs$.pipe(
    map((c) => new Map(Object.entries(c).map(([name, options]) => [name, JSON.stringify(options)]))),
    startWith(new Map<string, string>()),
    pairwise(),
    // Stops first (gone or changed), then starts (new or changed): a beacon never runs twice.
    mergeMap(([before, now]) => {
      const changed = (name: string) => before.get(name) !== now.get(name);
      const stops = [...before.keys()].filter(changed).map((name): Slot => ({ name, key: undefined }));
      const starts = [...now.keys()].filter(changed).map((name): Slot => ({ name, key: now.get(name) }));
      return [...stops, ...starts];
    }),
    share(),
  );
  return slots$.pipe(
    filter((s): s is { name: string; key: string } => s.key !== undefined),
    mergeMap((s) => run(s.name, s.key, o).pipe(takeUntil(slots$.pipe(filter((next) => next.name === s.name))))),
  );
}

/** One beacon from start to stop: built on subscription, closed on unsubscription. */
function run(name: string, key: string, o: BeaconSetOptions): Observable<OutgoingBeaconEvent> {
  return defer(() => {
    const beacon = o.make(name, JSON.parse(key) as Record<string, unknown>);
    o.lifecycle?.(name, 'started');
    return beacons$([beacon], o).pipe(
      finalize(() => {
        beacon.close?.();
        o.lifecycle?.(name, 'stopped');
      }),
    );
  }).pipe(
    catchError((err: unknown) => {
      o.failed(name, err);
      return EMPTY;
    }),
  );
}
