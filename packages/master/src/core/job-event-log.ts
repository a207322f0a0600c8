import { Observable, Subject } from 'rxjs';
import type { JobEvent } from './job-plan.js';

/**
 * What a running job keeps for those who attach to it late (a `wait=true` request, an SSE
 * stream, the SDK's `job$`): every result (one per minion) and the summary, and only the latest
 * `maxProgress` chunks of live output, so a `--stream` job to 10,000 minions does not hold all
 * of its output in memory until it ends.
 */
export class JobEventLog {
  readonly #results: JobEvent[] = [];
  readonly #progress: JobEvent[] = [];
  readonly #maxProgress: number;
  readonly #live = new Subject<JobEvent>();
  #progressHead = 0;
  #done: JobEvent | undefined;

  /** @param maxProgress progress chunks replayed to a late subscriber. @default 1000 */
  constructor(maxProgress = 1000) {
    this.#maxProgress = maxProgress;
  }

  /** Records an event and passes it to those attached; `done` completes them. */
  push(event: JobEvent): void {
    if (this.#done) return;
    if (event.type === 'progress') {
      this.#progress.push(event);
      // Drop the oldest chunks in one splice once twice the window piled up: O(1) per chunk.
      if (this.#progress.length - this.#progressHead > this.#maxProgress) this.#progressHead++;
      if (this.#progressHead >= this.#maxProgress) {
        this.#progress.splice(0, this.#progressHead);
        this.#progressHead = 0;
      }
    } else if (event.type === 'result') this.#results.push(event);
    else this.#done = event;
    this.#live.next(event);
    if (event.type === 'done') this.#live.complete();
  }

  /**
   * The job's events for one subscriber: first what was kept (results so far, then the latest
   * output chunks, in that order), then the live ones; completes after `done`.
   */
  events$(): Observable<JobEvent> {
    return new Observable<JobEvent>((subscriber) => {
      for (const e of this.#results) subscriber.next(e);
      for (let i = this.#progressHead; i < this.#progress.length; i++) subscriber.next(this.#progress[i]!);
      if (this.#done) {
        subscriber.next(this.#done);
        subscriber.complete();
        return undefined;
      }
      return this.#live.subscribe(subscriber);
    });
  }
}
