import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
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
  /**
   * Writes the queued acks and progress now: called before a return is stored, so the owner
   * reads them before the return, in the order one connection would have given.
   */
  flushOwners(): void;
  /** Writes what is queued and stops. */
  close(): void;
}

/** One direction's batch: written `batchMs` after its first frame, or at once on `flush`. */
function batcher<T>(
  write: (batch: T[]) => void,
  failed: (err: unknown, n: number) => void,
  batchMs: number,
  scheduler: SchedulerLike,
) {
  let queued: T[] = [];
  let timer: Subscription | undefined;
  const flush = () => {
    timer?.unsubscribe();
    timer = undefined;
    if (queued.length === 0) return;
    const batch = queued;
    queued = [];
    try {
      write(batch);
    } catch (err) {
      failed(err, batch.length);
    }
  };
  return {
    push: (item: T) => {
      queued.push(item);
      if (queued.length >= 10_000) flush();
      else timer ??= scheduler.schedule(flush, batchMs);
    },
    flush,
  };
}

/**
 * Batches frames for other masters: whatever is queued within `batchMs` of a batch's first
 * frame is written in one statement per direction, which sends one NOTIFY per target master,
 * never one per frame.
 */
export function frameOutbox(
  writers: OutboxWriters,
  batchMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): FrameOutbox {
  const minions = batcher<MinionBound>((b) => writers.toMinions(b), writers.failed, batchMs, scheduler);
  const owners = batcher<JobFrame>((b) => writers.toOwners(b), writers.failed, batchMs, scheduler);
  return {
    toMinion: (id, bytes) => minions.push({ id, bytes }),
    toOwner: (frame) => owners.push(frame),
    flushOwners: () => owners.flush(),
    close: () => {
      minions.flush();
      owners.flush();
    },
  };
}
