import type { Logger } from 'pino';
import type { SchedulerLike } from 'rxjs';
import type { FrameInput } from '@brine/protocol';
import { beacons$, type Beacon } from './beacon.js';

/** What {@link forwardBeacons} needs. */
export interface ForwardBeaconsOptions {
  scheduler: SchedulerLike;
  /** The most events one poll of one beacon may send (`beacon_max_events`). */
  maxEventsPerPoll: number;
  /** Sends a frame to the master; false when not connected. */
  send(frame: FrameInput): boolean;
  log: Pick<Logger, 'warn' | 'debug'>;
}

/**
 * Polls the beacons and sends each event to the master as an `event` frame. Events are not
 * spooled: one seen while the master is away is dropped, as in Salt. Failed polls and events over
 * the per-poll limit are logged. @returns a function that stops polling and closes the beacons
 */
export function forwardBeacons(beacons: readonly Beacon[], o: ForwardBeaconsOptions): () => void {
  const sub = beacons$(beacons, {
    scheduler: o.scheduler,
    maxEventsPerPoll: o.maxEventsPerPoll,
    failed: (beacon, err) => o.log.warn({ beacon, err: (err as Error).message }, 'beacon poll failed'),
    dropped: (beacon, count) => o.log.warn({ beacon, count }, 'beacon events over beacon_max_events dropped'),
  }).subscribe((e) => {
    if (!o.send({ type: 'event', tag: e.tag, data: e.data }))
      o.log.debug({ beacon: e.beacon }, 'beacon event dropped: no master connection');
  });
  return () => {
    sub.unsubscribe();
    for (const b of beacons) b.close?.();
  };
}
