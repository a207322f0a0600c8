import { describe, expect, it, vi } from 'vitest';
import { createAckPiggyback } from './ack-piggyback.js';
import type { TransportLink } from './minion-connection.js';

/** A transport link that records what it was asked to write. */
function plainLink(id: string) {
  const writes: Uint8Array[][] = [];
  const link: TransportLink = {
    id,
    close: vi.fn(),
    send: (bytes) => (writes.push([bytes]), true),
    sendPair: (first, second) => (writes.push([first, second]), true),
  };
  return { link, writes };
}

const job = Uint8Array.of(1);
const ack = Uint8Array.of(2);

describe('createAckPiggyback', () => {
  it('sends waiting acks in the same write as the next job frame', () => {
    const pending = new Map([['m1', ack]]);
    const takeAcks = vi.fn((id: string) => {
      const a = pending.get(id);
      pending.delete(id);
      return a;
    });
    const piggy = createAckPiggyback({ takeAcks });
    const { link, writes } = plainLink('m1');
    const wrapped = piggy.wrap(link);
    const frameFor = piggy.jobFrames(() => job);
    expect(wrapped.send(frameFor('m1')!)).toBe(true);
    expect(writes).toEqual([[ack, job]]);
    // The acks went with the first job; the next one goes alone.
    wrapped.send(frameFor('m1')!);
    expect(writes[1]).toEqual([job]);
  });

  it('leaves frames that are not jobs alone and takes no acks for them', () => {
    const takeAcks = vi.fn(() => ack);
    const onPublish = vi.fn();
    const piggy = createAckPiggyback({ takeAcks, onPublish });
    const { link, writes } = plainLink('m1');
    piggy.wrap(link).send(Uint8Array.of(9));
    expect(writes).toEqual([[Uint8Array.of(9)]]);
    expect(takeAcks).not.toHaveBeenCalled();
    expect(onPublish).not.toHaveBeenCalled();
  });

  it('tells onPublish of every job frame sent', () => {
    const onPublish = vi.fn();
    const piggy = createAckPiggyback({ takeAcks: () => undefined, onPublish });
    const wrapped = piggy.wrap(plainLink('m1').link);
    const frameFor = piggy.jobFrames(() => job);
    wrapped.send(frameFor('m1')!);
    wrapped.send(frameFor('m1')!);
    expect(onPublish).toHaveBeenCalledTimes(2);
  });

  it('passes a minion without a frame through as undefined', () => {
    const piggy = createAckPiggyback({ takeAcks: () => undefined });
    expect(piggy.jobFrames(() => undefined)('m1')).toBeUndefined();
  });

  it('finds the wrapper of a plain link, and a link it never wrapped as itself', () => {
    const piggy = createAckPiggyback({ takeAcks: () => undefined });
    const { link } = plainLink('m1');
    const wrapped = piggy.wrap(link);
    expect(piggy.wrapperOf(link)).toBe(wrapped);
    const other = plainLink('m2').link;
    expect(piggy.wrapperOf(other)).toBe(other);
  });

  it('closes the plain link when the wrapper is closed', () => {
    const piggy = createAckPiggyback({ takeAcks: () => undefined });
    const { link } = plainLink('m1');
    piggy.wrap(link).close('shutdown');
    expect(link.close).toHaveBeenCalledWith('shutdown');
  });
});
