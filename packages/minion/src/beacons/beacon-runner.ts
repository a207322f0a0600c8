import type { Logger } from 'pino';
import type { SchedulerLike, Subscription } from 'rxjs';
import { beacons$, type Beacon, type OutgoingBeaconEvent } from './beacon.js';

/** What {@link startBeaconRunner} needs. */
export interface BeaconRunnerOptions {
  scheduler: SchedulerLike;
  /** Builds the beacons to run now: from the config, with the custom beacons loaded now. */
  build(): Beacon[];
  maxEventsPerPoll: number;
  /** Sends one event to the master; false when it could not (no connection): the event is dropped. */
  send(e: OutgoingBeaconEvent): boolean;
  log: Logger;
}

/** A running set of beacons. */
export interface BeaconRunner {
  /** Stops the beacons and starts them again from `build()` (after a sync of custom beacons). */
  restart(): void;
  /** Stops every beacon and releases what they hold. */
  stop(): void;
}

/**
 * Runs the minion's beacons ({@link beacons$}) and sends their events while the master is
 * connected (not spooled: one seen while the master is away is dropped, as in Salt). `restart`
 * builds the set again, so that a custom beacon synced from the master (issue #21) starts
 * without a minion restart; each beacon then polls at once and on its interval anew.
 */
export function startBeaconRunner(o: BeaconRunnerOptions): BeaconRunner {
  let beacons: Beacon[] = [];
  let sub: Subscription | undefined;
  const stop = () => {
    sub?.unsubscribe();
    for (const b of beacons) b.close?.();
    beacons = [];
  };
  const start = () => {
    beacons = o.build();
    sub = beacons$(beacons, {
      scheduler: o.scheduler,
      maxEventsPerPoll: o.maxEventsPerPoll,
      failed: (beacon, err) => o.log.warn({ beacon, err: (err as Error)?.message }, 'beacon poll failed'),
      dropped: (beacon, count) => o.log.warn({ beacon, count }, 'beacon events over beacon_max_events dropped'),
    }).subscribe((e) => {
      if (!o.send(e)) o.log.debug({ beacon: e.beacon }, 'beacon event dropped: no master connection');
    });
  };
  start();
  return {
    restart: () => {
      stop();
      start();
    },
    stop,
  };
}
