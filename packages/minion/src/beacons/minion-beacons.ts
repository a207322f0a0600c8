import type { Logger } from 'pino';
import { asyncScheduler, combineLatest, map, type Observable, type SchedulerLike } from 'rxjs';
import type { BeaconDefinition } from '@brine/extend';
import { customBeacons } from '../extend/custom-beacon.js';
import type { Grains } from '../modules/types.js';
import type { OutgoingBeaconEvent } from './beacon.js';
import { beaconSet$, type BeaconConfigs } from './beacon-set.js';
import { createBeacon, markCustomBeacons } from './beacons-config.js';

/** What a minion's beacon runner is made from. */
export interface MinionBeaconsOptions {
  /** The `beacons:` entries to run (the config's merged with the pillar's, issue #19). */
  configs$: Observable<BeaconConfigs>;
  /** Counts the syncs that changed the custom beacons: those entries start anew on each. */
  customSynced$: Observable<number>;
  /** The loaded custom beacons (issue #21). */
  custom(): readonly BeaconDefinition[];
  grains(): Grains;
  log: Logger;
  maxEventsPerPoll: number;
  /** @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * The beacon runner of one minion, the daemon's and each virtual minion's of a swarm: built-in
 * and synced custom beacons of the latest `configs$`, custom ones restarted when a sync changed
 * them. Emits their events (to send to the master); never errors; runs until unsubscribed.
 */
export function minionBeacons$(o: MinionBeaconsOptions): Observable<OutgoingBeaconEvent> {
  const log = o.log;
  const configs$ = combineLatest([o.configs$, o.customSynced$]).pipe(
    map(([configs, generation]) => markCustomBeacons(configs, generation)),
  );
  return beaconSet$(configs$, {
    make: (name, options) =>
      createBeacon(name, options, { log, custom: customBeacons(o.custom, { grains: o.grains, log }) }),
    lifecycle: (beacon, change) => log.info({ beacon, change }, 'beacon lifecycle'),
    scheduler: o.scheduler ?? asyncScheduler,
    maxEventsPerPoll: o.maxEventsPerPoll,
    failed: (beacon, err) => log.warn({ beacon, err: (err as Error).message }, 'beacon poll failed'),
    dropped: (beacon, count) => log.warn({ beacon, count }, 'beacon events over beacon_max_events dropped'),
  });
}
