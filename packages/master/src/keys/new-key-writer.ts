import { chmod, writeFile } from 'node:fs';

/** A key file to write: where, what, and the state directory it belongs to (for supersession). */
interface Job {
  id: string;
  file: string;
  text: string;
  done: () => void;
  failed: (err: Error) => void;
  /**
   * Set when a later synchronous write or removal of the id won while this one was out: whether
   * the file this one wrote is the id's record now (the same state was written again).
   */
  keep?: (file: string) => boolean;
}

/** What {@link NewKeyWriter} runs; node's `fs` by default, a fake in tests. */
export interface NewKeyWriterFs {
  /** Creates `file` with `text`, mode 0600, failing with EEXIST when it exists. */
  create(file: string, text: string, cb: (err: NodeJS.ErrnoException | null) => void): void;
  /** Overwrites `file` and sets its mode to 0600. */
  overwrite(file: string, text: string, cb: (err: NodeJS.ErrnoException | null) => void): void;
  /** Removes `file` if present, synchronously (a superseded write's leftover: rare). */
  removeSync(file: string): void;
  /** Runs `fn` once the current burst of work is done (`setImmediate`). */
  later(fn: () => void): void;
}

const nodeFs = (removeSync: (file: string) => void): NewKeyWriterFs => ({
  // Created with its mode: no chmod after it (umask only clears bits), one syscall fewer.
  create: (file, text, cb) => writeFile(file, text, { mode: 0o600, flag: 'wx' }, cb),
  overwrite: (file, text, cb) =>
    writeFile(file, text, { mode: 0o600 }, (err) => (err ? cb(err) : chmod(file, 0o600, cb))),
  removeSync,
  later: (fn) => setImmediate(fn),
});

/**
 * Writes new minions' key files off the event loop, in batches: the keys of one burst of
 * handshakes are queued and handed to libuv's thread pool together, each `put` resolving when its
 * file is written (as durable as `writeFileSync`: a crash of the process after it keeps it).
 * Synchronously each new key cost 130-150 µs of the event loop (1.3-1.5 s over 10,000 first
 * connects, issue #15).
 *
 * A synchronous write or removal of the same id (an operator's accept, reject or delete) wins:
 * {@link supersede} drops a queued write, and a write already out removes its file when it lands
 * in a directory the id has left.
 */
export class NewKeyWriter {
  readonly #fs: NewKeyWriterFs;
  #queue: Job[] = [];
  /** Jobs handed to the thread pool and not yet done, by id. */
  readonly #out = new Map<string, Job>();
  #scheduled = false;
  #idle: (() => void)[] = [];

  constructor(fs: NewKeyWriterFs | ((file: string) => void)) {
    this.#fs = typeof fs === 'function' ? nodeFs(fs) : fs;
  }

  /** Queues a new key's file; resolves once it is written, rejects when it could not be. */
  write(id: string, file: string, text: string): Promise<void> {
    return new Promise((done, failed) => {
      this.#queue.push({ id, file, text, done, failed });
      if (this.#scheduled) return;
      this.#scheduled = true;
      this.#fs.later(() => this.#flush());
    });
  }

  /**
   * Called before a synchronous write or removal of `id`: a queued write of it is dropped (its
   * promise resolves: a later record of the id stands in for it), one already out removes its
   * file when it lands unless `keep(file)` says the id is in that file's place now.
   */
  supersede(id: string, keep: (file: string) => boolean): void {
    const i = this.#queue.findIndex((j) => j.id === id);
    if (i >= 0) this.#queue.splice(i, 1)[0]!.done();
    const out = this.#out.get(id);
    if (out) out.keep = keep;
  }

  /** Resolves when every queued and outstanding write has landed. */
  settled(): Promise<void> {
    if (this.#queue.length === 0 && this.#out.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    for (const job of batch) {
      this.#out.set(job.id, job);
      this.#fs.create(job.file, job.text, (err) => {
        if (err?.code === 'EEXIST' && !job.keep)
          // A file the mirror did not know of (left by hand): replace it, as put would.
          return this.#fs.overwrite(job.file, job.text, (err2) => this.#landed(job, err2));
        this.#landed(job, err?.code === 'EEXIST' ? null : err);
      });
    }
  }

  #landed(job: Job, err: NodeJS.ErrnoException | null): void {
    if (this.#out.get(job.id) === job) this.#out.delete(job.id);
    if (job.keep && !err && !job.keep(job.file)) this.#fs.removeSync(job.file);
    if (err && !job.keep) job.failed(err);
    else job.done();
    if (this.#queue.length === 0 && this.#out.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
