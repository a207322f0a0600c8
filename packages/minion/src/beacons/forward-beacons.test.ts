import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { FrameInput } from '@brine/protocol';
import type { Beacon } from './beacon.js';
import { forwardBeacons } from './forward-beacons.js';

/** A beacon that reports one event per poll and records whether it was closed. */
function countingBeacon() {
  const state = { polls: 0, closed: false };
  const beacon: Beacon = {
    name: 'load',
    intervalMs: 1000,
    poll: () => [[{ tag: '', data: { n: ++state.polls } }]],
    close: () => {
      state.closed = true;
    },
  };
  return { beacon, state };
}

describe('forwardBeacons', () => {
  it('sends each event while connected, drops it with a debug line while not, and closes the beacons on stop', () => {
    const scheduler = new VirtualTimeScheduler();
    const { beacon, state } = countingBeacon();
    const sent: FrameInput[] = [];
    const debug: unknown[] = [];
    let connected = true;
    const stop = forwardBeacons([beacon], {
      scheduler,
      maxEventsPerPoll: 10,
      send: (f) => (connected ? (sent.push(f), true) : false),
      log: { warn: () => {}, debug: (o: unknown) => debug.push(o) } as never,
    });
    scheduler.maxFrames = 0;
    scheduler.flush();
    connected = false;
    scheduler.maxFrames = 1000;
    scheduler.flush();
    expect(sent).toEqual([{ type: 'event', tag: 'beacon/load', data: { n: 1 } }]);
    expect(debug).toEqual([{ beacon: 'load' }]);
    stop();
    expect(state.closed).toBe(true);
  });
});
