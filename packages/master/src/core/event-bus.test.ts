import { describe, expect, it } from 'vitest';
import { EventBus, type BusEvent } from './event-bus.js';

function collect(bus: EventBus, globs?: string[]) {
  const got: BusEvent[] = [];
  let completed = false;
  const sub = bus.events$(globs).subscribe({ next: (e) => got.push(e), complete: () => (completed = true) });
  return { got, sub, tags: () => got.map((e) => e.tag), completed: () => completed };
}

describe('EventBus', () => {
  it('delivers to each subscriber the events its globs match, stamped, from subscription on', () => {
    const bus = new EventBus(() => 42);
    bus.publish('brine/job/1/new', {});
    const all = collect(bus);
    const done = collect(bus, ['brine/job/*/done']);
    const some = collect(bus, ['brine/minion/web?/connected', 'brine/key/[ab]*', 'brine/master/up']);
    for (const tag of [
      'brine/job/1/ret/web1',
      'brine/job/1/done',
      'brine/job/2/done/extra',
      'brine/minion/web1/connected',
      'brine/minion/web10/connected',
      'brine/key/alpha',
      'brine/key/zeta',
      'brine/master/up',
    ])
      bus.publish(tag, { tag });
    expect(all.tags()).toHaveLength(8);
    expect(done.tags()).toEqual(['brine/job/1/done']);
    expect(some.tags()).toEqual(['brine/minion/web1/connected', 'brine/key/alpha', 'brine/master/up']);
    expect(done.got[0]).toEqual({ tag: 'brine/job/1/done', data: { tag: 'brine/job/1/done' }, stamp: 42 });
  });

  it('matches as globMatch does, * crossing slashes', () => {
    const bus = new EventBus(() => 0);
    const s = collect(bus, ['brine/*/done', '*']);
    bus.publish('brine/job/9/done', null);
    expect(s.tags()).toEqual(['brine/job/9/done']);
  });

  it('an unsubscribed listener gets nothing more, also when it leaves during a publish', () => {
    const bus = new EventBus(() => 0);
    const got: string[] = [];
    const first = bus.events$().subscribe((e) => {
      got.push(`first ${e.tag}`);
      first.unsubscribe();
    });
    bus.events$().subscribe((e) => got.push(`second ${e.tag}`));
    bus.publish('a', 1);
    bus.publish('b', 2);
    expect(got).toEqual(['first a', 'second a', 'second b']);
  });

  it('close completes every stream, and later subscribers complete at once', () => {
    const bus = new EventBus(() => 0);
    const s = collect(bus);
    bus.close();
    expect(s.completed()).toBe(true);
    const late = collect(bus);
    expect(late.completed()).toBe(true);
    bus.publish('x', 1);
    expect(late.got).toEqual([]);
  });
});
