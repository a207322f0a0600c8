import { map, timer, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { JobStore, ResultWrite } from './job-store.js';
import type { JobFrame } from './minion-link.js';
import { ReturnIngest, type IngestSink } from './return-ingest.js';

type ReturnFrame = Extract<JobFrame, { kind: 'return' }>;

const frame = (minionId: string): ReturnFrame => ({
  kind: 'return',
  minionId,
  jid: '20260101000000000000',
  attempt: 0,
  outcome: 'returned',
  ret: true,
  retcode: 0,
  success: true,
  durationMs: 1,
});

/** A store whose first `failures` writes throw, as a database restarting does. */
function flakyStore(failures: number): { store: JobStore; writes: ResultWrite[][] } {
  const writes: ResultWrite[][] = [];
  let left = failures;
  const store = {
    writeResults: (rows: readonly ResultWrite[]) => {
      writes.push([...rows]);
      if (left-- > 0) throw new Error('ERR_STORE_UNREACHABLE');
      return rows.map(() => true);
    },
  } as unknown as JobStore;
  return { store, writes };
}

/**
 * A store that writes without blocking: each `writeResults$` commits `commitMs` after it is
 * subscribed (the first `failures` fail there), and `writeResults` must never be called.
 */
function asyncStore(scheduler: SchedulerLike, commitMs: number, failures = 0): { store: JobStore; writes: string[] } {
  const writes: string[] = [];
  let left = failures;
  const store: Pick<JobStore, 'writeResults' | 'writeResults$'> = {
    writeResults: () => {
      throw new Error('the ingest blocked on a store that writes without blocking');
    },
    writeResults$: (rows) => {
      writes.push(`${scheduler.now()} write ${rows.map((r) => r.id).join(',')}`);
      const fail = left-- > 0;
      return timer(commitMs, scheduler).pipe(
        map(() => {
          if (fail) throw new Error('ERR_STORE_UNREACHABLE');
          return rows.map(() => true);
        }),
      );
    },
  };
  return { store: store as JobStore, writes };
}

function recordingSink(log: string[], now: () => number): IngestSink {
  return {
    ack: (id, items) => log.push(`${now()} ack ${id} ${items.length}`),
    deliver: (f) => log.push(`${now()} deliver ${f.minionId}`),
    failed: (_e, rows) => log.push(`${now()} failed ${rows}`),
  };
}

describe('ReturnIngest on a store that writes without blocking', () => {
  it('acks when the write commits, and gathers what arrives meanwhile into the next write', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ flush }) => {
      scheduler.maxFrames = 200;
      const { store, writes } = asyncStore(scheduler, 30);
      const log: string[] = [];
      const ingest = new ReturnIngest({
        store,
        scheduler,
        sink: recordingSink(log, () => scheduler.now()),
        maxDelayMs: 5,
      });
      ingest.submit(frame('web1'));
      scheduler.schedule(() => ingest.submit(frame('web2')), 10);
      scheduler.schedule(() => ingest.submit(frame('web3')), 20);
      flush();
      // web2 and web3 came in two windows while web1's write was in flight: one write, not two.
      expect(writes).toEqual(['5 write web1', '35 write web2,web3']);
      expect(log).toEqual([
        '35 deliver web1',
        '35 ack web1 1',
        '65 deliver web2',
        '65 deliver web3',
        '65 ack web2 1',
        '65 ack web3 1',
      ]);
      ingest.close();
    });
  });

  it('splits what gathered during a write into writes of at most maxBatch', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ flush }) => {
      scheduler.maxFrames = 200;
      const { store, writes } = asyncStore(scheduler, 30);
      const ingest = new ReturnIngest({
        store,
        scheduler,
        sink: recordingSink([], () => 0),
        maxDelayMs: 5,
        maxBatch: 2,
      });
      ingest.submit(frame('a'));
      for (const [t, id] of [
        [10, 'b'],
        [12, 'c'],
        [20, 'd'],
      ] as const)
        scheduler.schedule(() => ingest.submit(frame(id)), t);
      flush();
      expect(writes).toEqual(['5 write a', '35 write b,c', '65 write d']);
      ingest.close();
    });
  });

  it('acks nothing of a write that fails, and writes it again after retryMs', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ flush }) => {
      scheduler.maxFrames = 2000;
      const { store, writes } = asyncStore(scheduler, 30, 1);
      const log: string[] = [];
      const ingest = new ReturnIngest({
        store,
        scheduler,
        sink: recordingSink(log, () => scheduler.now()),
        maxDelayMs: 5,
        retryMs: 1000,
      });
      ingest.submit(frame('web1'));
      scheduler.schedule(() => ingest.submit(frame('web2')), 10);
      flush();
      expect(writes).toEqual(['5 write web1', '35 write web2', '1035 write web1']);
      expect(log).toEqual(['35 failed 1', '65 deliver web2', '65 ack web2 1', '1065 deliver web1', '1065 ack web1 1']);
      ingest.close();
    });
  });
});

describe('ReturnIngest after a failed write', () => {
  it('writes the batch again after retryMs, and acks only once it is stored', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    // bufferTime opens a window after every window: run virtual time to 5 s, not forever.
    scheduler.run(({ flush }) => {
      scheduler.maxFrames = 5000;
      const { store, writes } = flakyStore(2);
      const log: string[] = [];
      const ingest = new ReturnIngest({
        store,
        scheduler,
        sink: recordingSink(log, () => scheduler.now()),
        maxDelayMs: 5,
        retryMs: 1000,
      });
      ingest.submit(frame('web1'));
      ingest.submit(frame('web2'));
      flush();
      expect(log).toEqual([
        '5 failed 2',
        '1005 failed 2',
        '2005 deliver web1',
        '2005 deliver web2',
        '2005 ack web1 1',
        '2005 ack web2 1',
      ]);
      expect(writes).toHaveLength(3);
      ingest.close();
    });
  });

  it('leaves a failed batch to the outboxes when too many returns already wait, and drops retries on close', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    // bufferTime opens a window after every window: run virtual time to 5 s, not forever.
    scheduler.run(({ flush }) => {
      scheduler.maxFrames = 5000;
      const { store, writes } = flakyStore(1);
      const log: string[] = [];
      const ingest = new ReturnIngest({
        store,
        scheduler,
        sink: recordingSink(log, () => scheduler.now()),
        maxDelayMs: 5,
        retryMs: 1000,
        maxRetained: 1,
      });
      ingest.submit(frame('web1'));
      ingest.submit(frame('web2'));
      flush();
      expect(log).toEqual(['5 failed 2']);
      expect(writes).toHaveLength(1);
      const { store: down } = flakyStore(1);
      const closing = new ReturnIngest({ store: down, scheduler, sink: recordingSink(log, () => 0), maxDelayMs: 5 });
      closing.submit(frame('db1'));
      closing.close();
      flush();
      expect(log.filter((l) => l.includes('ack'))).toEqual([]);
    });
  });
});
