import type { FrameInput } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { HeldEvents } from './held-events.js';

describe('HeldEvents', () => {
  it('sends at once when connected, holds while not, and sends what it held at the next session in order', () => {
    const held = new HeldEvents(2);
    const sent: FrameInput[] = [];
    held.send({ tag: 'a', data: 1 }, (f) => (sent.push(f), true));
    expect(sent).toEqual([{ type: 'event', tag: 'a', data: 1 }]);
    for (const tag of ['b', 'c', 'd']) held.send({ tag, data: {} }, () => false);
    // Capped at two: the oldest went first.
    expect(held.size).toBe(2);
    held.flush((f) => (sent.push(f), true));
    expect(sent.slice(1).map((f) => (f as { tag: string }).tag)).toEqual(['c', 'd']);
    expect(held.size).toBe(0);
  });

  it('keeps what a session could not take', () => {
    const held = new HeldEvents();
    held.send({ tag: 'a', data: {} }, () => false);
    held.flush(() => false);
    expect(held.size).toBe(1);
  });
});
