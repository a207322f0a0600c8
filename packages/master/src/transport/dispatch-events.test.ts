import { describe, expect, it } from 'vitest';
import type { Frame } from '@brine/protocol';
import { EventBus, type BusEvent } from '../core/event-bus.js';
import { MinionEventLimiter } from '../core/event-limiter.js';
import type { MinionLink } from '../core/minion-link.js';
import { dispatchMinionFrame, minionEventTag, type DispatchDeps } from './dispatch.js';

describe('minion events', () => {
  it("files an event under the sender's id, and a beacon's under brine/beacon/<id>/", () => {
    expect(minionEventTag('web1', 'myapp/deployed')).toBe('brine/minion/web1/myapp/deployed');
    expect(minionEventTag('web1', 'beacon/inotify/etc/motd')).toBe('brine/beacon/web1/inotify/etc/motd');
    expect(minionEventTag('web1', '/a/../../brine/job')).toBeUndefined();
    expect(minionEventTag('web1', 'a//b')).toBeUndefined();
  });

  it('publishes events within the rate limit and reports the dropped ones', () => {
    const bus = new EventBus(() => 0);
    const seen: BusEvent[] = [];
    bus.events$(['brine/minion/*/*']).subscribe((e) => seen.push(e));
    const dropped: [string, number][] = [];
    const deps = {
      bus,
      now: () => 0,
      events: new MinionEventLimiter({ perSec: 1, burst: 2 }),
      eventsDropped: (id: string, n: number) => dropped.push([id, n]),
    } as unknown as DispatchDeps;
    const link = { id: 'web1' } as MinionLink;
    const frame = { v: 1, type: 'event', tag: 'x', data: { id: 'web2', n: 1 } } as Frame;
    for (let i = 0; i < 4; i++) dispatchMinionFrame(link, frame, deps);
    expect(seen.map((e) => e.tag)).toEqual(['brine/minion/web1/x', 'brine/minion/web1/x']);
    // The sender's id, as Salt's master adds it; a minion cannot claim another's.
    expect(seen[0]!.data).toEqual({ id: 'web1', n: 1 });
    expect(dropped).toEqual([['web1', 1]]);
  });
});
