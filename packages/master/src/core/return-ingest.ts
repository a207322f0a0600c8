import { Subject, type SchedulerLike, type Subscription, bufferTime, filter } from 'rxjs';
import { storeResults$, type JobStore, type ResultWrite } from './job-store.js';
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
  store: Pick<JobStore, 'writeResults' | 'writeResults$'>;
  scheduler: SchedulerLike;
  sink: IngestSink;
  /** Longest a return waits for its batch, in ms. @default 5 */
  maxDelayMs?: number;
  /**
   * Largest batch, in returns: the most one write takes, also when returns gathered while the
   * previous write was in flight. @default 2000
   */
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
 *
 * One write is in flight at a time. With a store that writes without blocking (`writeResults$`,
 * PostgreSQL), the returns that arrive while a batch commits wait and go together into the next
 * write as soon as it has committed: under load the batches grow rather than queue, and the
 * event loop goes on while the database commits (docs/scale.md).
 */
export class ReturnIngest {
  readonly #input = new Subject<ReturnFrame>();
  readonly #subscription: Subscription;
  readonly #options: ReturnIngestOptions;
  /** Returns gathered while a write is in flight, for the next one. */
  #waiting: ReturnFrame[] = [];
  #writing = false;
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
      .subscribe((batch) => this.#enqueue(batch));
  }

  /** Queues a return for the next batch. */
  submit(frame: ReturnFrame): void {
    this.#input.next(frame);
  }

  /**
   * Writes what is queued and stops; later submits are ignored, and pending retries dropped. A
   * write still in flight then acks nothing: its returns stay in the outboxes, and the store
   * refuses them as duplicates when they come again (a duplicate is acked).
   */
  close(): void {
    this.#input.complete();
    this.#subscription.unsubscribe();
    this.#closed = true;
  }

  #enqueue(batch: ReturnFrame[]): void {
    this.#waiting = this.#waiting.length === 0 ? batch : this.#waiting.concat(batch);
    if (!this.#writing) this.#writeNext();
  }

  /** Starts the next write with what waits (up to `maxBatch`), unless one is in flight. */
  #writeNext(): void {
    if (this.#writing || this.#waiting.length === 0 || this.#subscription.closed) return;
    const max = this.#options.maxBatch ?? 2000;
    const batch = this.#waiting.length > max ? this.#waiting.slice(0, max) : this.#waiting;
    this.#waiting = this.#waiting.length > max ? this.#waiting.slice(max) : [];
    this.#writing = true;
    const done = () => {
      this.#writing = false;
      this.#writeNext();
    };
    this.#subscription.add(
      storeResults$(this.#options.store, batch.map(toWrite)).subscribe({
        next: (stored) => this.#settle(batch, stored),
        error: (error: unknown) => {
          this.#options.sink.failed(error, batch.length);
          this.#retry(batch);
          done();
        },
        complete: done,
      }),
    );
  }

  /** Acks every return of a committed batch, and delivers those it stored. */
  #settle(batch: ReturnFrame[], stored: boolean[]): void {
    const { sink } = this.#options;
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
        if (!this.#closed) this.#enqueue(batch);
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
