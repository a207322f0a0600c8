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

function recordingSink(log: string[], now: () => number): IngestSink {
  return {
    ack: (id, items) => log.push(`${now()} ack ${id} ${items.length}`),
    deliver: (f) => log.push(`${now()} deliver ${f.minionId}`),
    failed: (_e, rows) => log.push(`${now()} failed ${rows}`),
  };
}

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
