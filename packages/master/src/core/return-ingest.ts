import { Subject, type SchedulerLike, type Subscription, bufferTime, filter } from 'rxjs';
import type { JobStore, ResultWrite } from './job-store.js';
import type { JobFrame } from './minion-link.js';

type ReturnFrame = Extract<JobFrame, { kind: 'return' }>;

/** What the ingest tells the edge after each durable batch. */
export interface IngestSink {
  /** The stored returns of one minion may be dropped from its outbox: `[jid, attempt]` pairs. */
  ack(minionId: string, items: [string, number][]): void;
  /** A newly stored return, for the job pipeline waiting on it. */
  deliver(frame: ReturnFrame): void;
  /** A batch could not be written; nothing in it was acked, so minions will send it again. */
  failed(error: unknown, rows: number): void;
}

/** Options for {@link ReturnIngest}. */
export interface ReturnIngestOptions {
  store: JobStore;
  scheduler: SchedulerLike;
  sink: IngestSink;
  /** Longest a return waits for its batch, in ms. @default 5 */
  maxDelayMs?: number;
  /** Largest batch, in returns. @default 2000 */
  maxBatch?: number;
  /**
   * After a failed write, the batch is written again this long after (the shared database
   * restarting, say), so its returns need not wait for their minions to reconnect. @default 1000
   */
  retryMs?: number;
  /**
   * Most returns held for a retry at once; a failed batch beyond this is left to the minions'
   * outboxes (they send it again when they reconnect). @default 20000
   */
  maxRetained?: number;
}

/**
 * Durable return ingest: returns from all minions are written to the job cache in batches (one
 * transaction each); only after the write commits is each return acked to its minion and handed
 * to the job pipeline. A duplicate of a stored return is acked again but not delivered twice.
 */
export class ReturnIngest {
  readonly #input = new Subject<ReturnFrame>();
  readonly #subscription: Subscription;
  readonly #options: ReturnIngestOptions;
  /** Returns of failed batches waiting for their retry. */
  #retained = 0;
  #closed = false;

  constructor(options: ReturnIngestOptions) {
    this.#options = options;
    this.#subscription = this.#input
      .pipe(
        bufferTime(options.maxDelayMs ?? 5, null, options.maxBatch ?? 2000, options.scheduler),
        filter((batch) => batch.length > 0),
      )
      .subscribe((batch) => this.#write(batch));
  }

  /** Queues a return for the next batch. */
  submit(frame: ReturnFrame): void {
    this.#input.next(frame);
  }

  /** Writes what is queued and stops; later submits are ignored, and pending retries dropped. */
  close(): void {
    this.#input.complete();
    this.#subscription.unsubscribe();
    this.#closed = true;
  }

  #write(batch: ReturnFrame[]): void {
    const { store, sink } = this.#options;
    let stored: boolean[];
    try {
      stored = store.writeResults(batch.map(toWrite));
    } catch (error) {
      sink.failed(error, batch.length);
      this.#retry(batch);
      return;
    }
    const acks = new Map<string, [string, number][]>();
    batch.forEach((frame, i) => {
      let list = acks.get(frame.minionId);
      if (!list) acks.set(frame.minionId, (list = []));
      list.push([frame.jid, frame.attempt]);
      if (stored[i]) sink.deliver(frame);
    });
    for (const [id, items] of acks) sink.ack(id, items);
  }

  /** Writes a failed batch again after `retryMs`, unless too many returns already wait. */
  #retry(batch: ReturnFrame[]): void {
    if (this.#retained + batch.length > (this.#options.maxRetained ?? 20_000)) return;
    this.#retained += batch.length;
    this.#subscription.add(
      this.#options.scheduler.schedule(() => {
        this.#retained -= batch.length;
        if (!this.#closed) this.#write(batch);
      }, this.#options.retryMs ?? 1000),
    );
  }
}

function toWrite(f: ReturnFrame): ResultWrite {
  const returned = f.outcome === 'returned';
  return {
    jid: f.jid,
    id: f.minionId,
    attempt: f.attempt,
    outcome: f.outcome,
    success: returned && f.success,
    retcode: f.retcode,
    ret: f.ret,
    durationMs: f.durationMs,
    ...(returned
      ? {}
      : {
          reason:
            f.outcome === 'interrupted' ? 'minion_restarted' : f.outcome === 'timed_out' ? 'job_timeout' : 'cancelled',
        }),
  };
}
