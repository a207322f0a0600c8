import type { Logger } from 'pino';
import { catchError, defer, EMPTY, map, merge, type Observable, type Subscription } from 'rxjs';
import type { BeaconDefinition } from '@brine/extend';
import type { OutgoingBeaconEvent } from './beacons/beacon.js';
import { minionBeacons$ } from './beacons/minion-beacons.js';
import type { PillarClient } from './connection/pillar-client.js';
import type { Grains } from './modules/types.js';
import { automationFromPillar } from './pillar-automation.js';

/** What a virtual minion's beacon runner reads. */
export interface SwarmBeaconsDeps {
  pillar: Pick<PillarClient, 'items' | 'changes$'>;
  /** Counts the syncs that changed the minion's custom beacons. */
  customSynced$: Observable<number>;
  custom(): readonly BeaconDefinition[];
  grains(): Grains;
  log: Logger;
}

/** The most events one poll of one beacon sends, as the daemon's `beacon_max_events` default. */
const SWARM_BEACON_MAX_EVENTS = 20;

/**
 * Starts a virtual minion's beacon runner (issue #21): the `beacons:` of its pillar, built-in and
 * synced custom ones, as a daemon runs them (a swarm has no config file, so pillar is where its
 * beacons come from). Made when the minion's extension manager is: a minion that never syncs
 * pays for none. Returns the subscription to end at stop.
 */
export function swarmBeacons(d: SwarmBeaconsDeps, send: (e: OutgoingBeaconEvent) => void): Subscription {
  // The pillar kept now (or fetched), and each one the master sends.
  const pillar$ = merge(defer(() => d.pillar.items()).pipe(catchError(() => EMPTY)), d.pillar.changes$);
  return minionBeacons$({
    configs$: pillar$.pipe(map((p) => automationFromPillar(p).beacons)),
    customSynced$: d.customSynced$,
    custom: d.custom,
    grains: d.grains,
    log: d.log.child({ component: 'beacons' }),
    maxEventsPerPoll: SWARM_BEACON_MAX_EVENTS,
  }).subscribe(send);
}
