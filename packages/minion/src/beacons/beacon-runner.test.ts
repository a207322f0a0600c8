import pino from 'pino';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Beacon } from './beacon.js';
import { startBeaconRunner } from './beacon-runner.js';

describe('startBeaconRunner', () => {
  it('starts the beacons that build() gives again on restart, and closes the old ones', () => {
    const ts = new TestScheduler((a, e) => expect(a).toEqual(e));
    // Beacons poll for ever: flush only the first frames (each poll is due at once, then at 10).
    ts.maxFrames = 5;
    const flush = () => ts.flush();
    {
      let set = ['a'];
      const closed: string[] = [];
      const sent: string[] = [];
      const make = (name: string): Beacon => ({
        name,
        intervalMs: 10,
        poll: () => [[{ tag: '', data: {} }]],
        close: () => closed.push(name),
      });
      const runner = startBeaconRunner({
        scheduler: ts,
        build: () => set.map(make),
        maxEventsPerPoll: 5,
        send: (e) => (sent.push(e.tag), true),
        log: pino({ level: 'silent' }),
      });
      flush();
      expect(sent).toEqual(['beacon/a']);
      set = ['a', 'b'];
      runner.restart();
      flush();
      expect(closed).toEqual(['a']);
      expect(sent).toEqual(['beacon/a', 'beacon/a', 'beacon/b']);
      runner.stop();
      expect(closed).toEqual(['a', 'a', 'b']);
    }
  });
});
