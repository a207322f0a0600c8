import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { JobFrame } from '../core/minion-link.js';
import { frameOutbox } from './frame-outbox.js';
import type { MinionBound } from './routed-frames.js';

function outboxOnVirtualTime() {
  const scheduler = new VirtualTimeScheduler();
  const writes: (['minions', MinionBound[], number] | ['owners', JobFrame[], number])[] = [];
  const outbox = frameOutbox(
    {
      toMinions: (b) => writes.push(['minions', b, scheduler.now()]),
      toOwners: (b) => writes.push(['owners', b, scheduler.now()]),
      failed: () => {},
    },
    5,
    scheduler,
  );
  return { scheduler, writes, outbox };
}

const ack = (minionId: string): JobFrame => ({ kind: 'ack', minionId, jid: 'j', attempt: 0, state: 'started' });

describe('frameOutbox', () => {
  it('writes the frames queued within batchMs of the first one as one batch per direction', () => {
    const { scheduler, writes, outbox } = outboxOnVirtualTime();
    const bytes = new Uint8Array([1]);
    outbox.toMinion('m1', bytes);
    outbox.toMinion('m2', bytes);
    outbox.toOwner(ack('m3'));
    scheduler.flush();
    expect(writes).toEqual([
      [
        'minions',
        [
          { id: 'm1', bytes },
          { id: 'm2', bytes },
        ],
        5,
      ],
      ['owners', [ack('m3')], 5],
    ]);
  });

  it('writes queued acks and progress at once when asked, before a return is stored', () => {
    const { scheduler, writes, outbox } = outboxOnVirtualTime();
    outbox.toOwner(ack('m1'));
    outbox.flushOwners();
    expect(writes).toEqual([['owners', [ack('m1')], 0]]);
    outbox.flushOwners();
    scheduler.flush();
    expect(writes).toHaveLength(1);
  });

  it('writes what is queued on close', () => {
    const { writes, outbox } = outboxOnVirtualTime();
    outbox.toOwner(ack('m1'));
    outbox.close();
    expect(writes).toEqual([['owners', [ack('m1')], 0]]);
  });
});
