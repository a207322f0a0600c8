import { Subject, Subscription, asyncScheduler, bufferTime, filter, type SchedulerLike } from 'rxjs';
import type { JobFrame } from '../core/minion-link.js';
import type { MinionBound } from './routed-frames.js';

/** Where a batch goes: the two writers of `routed-frames.ts`, bound to a database and master. */
export interface OutboxWriters {
  toMinions(frames: MinionBound[]): void;
  toOwners(frames: JobFrame[]): void;
  /** Told of a batch that could not be written (it is dropped: the jobs' deadlines cover it). */
  failed(err: unknown, frames: number): void;
}

/** Frames waiting to cross to other masters. */
export interface FrameOutbox {
  /** Queues job frame bytes for a minion another master holds. */
  toMinion(id: string, bytes: Uint8Array): void;
  /** Queues a minion's ack or progress for the master that owns its job. */
  toOwner(frame: JobFrame): void;
  /** Writes what is queued and stops. */
  close(): void;
}

/**
 * Batches frames for other masters: whatever is queued within `batchMs` is written in one
 * statement per direction, which sends one NOTIFY per target master, never one per frame.
 */
export function frameOutbox(
  writers: OutboxWriters,
  batchMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): FrameOutbox {
  const minions = new Subject<MinionBound>();
  const owners = new Subject<JobFrame>();
  const all = new Subscription();
  const write = <T>(source: Subject<T>, sink: (batch: T[]) => void) =>
    all.add(
      source
        .pipe(
          bufferTime(batchMs, null, 10_000, scheduler),
          filter((b) => b.length > 0),
        )
        .subscribe((batch) => {
          try {
            sink(batch);
          } catch (err) {
            writers.failed(err, batch.length);
          }
        }),
    );
  write(minions, (b) => writers.toMinions(b));
  write(owners, (b) => writers.toOwners(b));
  return {
    toMinion: (id, bytes) => minions.next({ id, bytes }),
    toOwner: (frame) => owners.next(frame),
    close: () => {
      minions.complete();
      owners.complete();
      all.unsubscribe();
    },
  };
}
