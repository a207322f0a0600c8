import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';
import { workerSource } from './pg-bridge-worker.js';

/** One SQL statement with its `$n` parameters. */
export interface Statement {
  text: string;
  values?: unknown[];
}

/** What one statement answered. */
export interface StatementResult<Row = Record<string, unknown>> {
  rows: Row[];
  rowCount: number;
}

/** Options for {@link openPgBridge}. */
export interface PgBridgeOptions {
  /** A `postgres://` connection URL. */
  url: string;
  /** Longest wait for a connection, in ms. @default 5000 */
  connectTimeoutMs?: number;
  /** Longest wait for one request (connect included), in ms. @default 30000 */
  requestTimeoutMs?: number;
  /** Shown in `pg_stat_activity`. @default 'brine-master' */
  applicationName?: string;
}

type Answer =
  | { id: number; ok: true; results: StatementResult[] }
  | { id: number; ok: false; error: { message: string; sqlState?: string } };

/**
 * A synchronous PostgreSQL connection: each call blocks the calling thread until the database
 * has answered (a transaction has committed), as the embedded SQLite store's calls do while
 * they fsync. The `pg` client runs in a worker thread; the caller posts a request and waits on
 * a shared flag with `Atomics.wait`. This keeps the `JobStore` interface synchronous, so the
 * ingest acks a return only once `writeResults` has returned, that is after COMMIT.
 */
export interface PgBridge {
  /** Runs statements one by one (each its own implicit transaction); throws on the first error. */
  run(statements: readonly Statement[]): StatementResult[];
  /** Runs statements in one transaction opened by `begin`; any error rolls it back and throws. */
  transaction(statements: readonly Statement[], begin?: string): StatementResult[];
  /** Ends the connection and the worker. */
  close(): void;
}

/**
 * The bridge {@link openPgBridge} makes: besides the blocking calls, `transactionAsync` posts to
 * the same worker without blocking. The worker answers requests one at a time in the order they
 * were posted, so every call, blocking or not, is applied in call order on the one connection (a
 * job's rows exist before its results are written), and a blocking call made while asynchronous
 * ones are in flight waits for them too.
 */
export interface PgOrderedBridge extends PgBridge {
  /**
   * Runs statements in one transaction without blocking: resolves after COMMIT, rejects (rolled
   * back) with the error `transaction` would throw.
   */
  transactionAsync(statements: readonly Statement[], begin?: string): Promise<StatementResult[]>;
}

/**
 * Starts the bridge's worker and connects, blocking until connected. Throws
 * `ERR_STORE_UNREACHABLE` when the database does not answer or refuses the connection.
 */
export function openPgBridge(options: PgBridgeOptions): PgOrderedBridge {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerSource, {
    eval: true,
    // Not the process's flags: under `--input-type=module` an eval worker would be ESM, without `require`.
    execArgv: [],
    workerData: {
      pgPath: createRequire(import.meta.url).resolve('pg'),
      url: options.url,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      applicationName: options.applicationName ?? 'brine-master',
      flag: flag.buffer,
      port: port2,
    },
    transferList: [port2],
  });
  // The worker must not keep the process alive on its own: the store's owner closes it.
  worker.unref();
  // A worker that dies leaves the caller's wait to time out (ERR_STORE_TIMEOUT); without a
  // listener its 'error' event would crash the process.
  let crashed: Error | undefined;
  const inFlight = new AsyncCalls();
  worker.on('error', (err) => {
    crashed = err;
    inFlight.failAll(new JobStoreError(JobStoreErrorCode.unreachable, `PostgreSQL bridge died: ${err.message}`));
  });
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  let nextId = 1;
  let closed = false;
  // Answers to asynchronous calls arrive here while the loop runs, or through a blocking call's
  // wait, which hands on every answer that is not its own.
  port1.on('message', (answer: Answer) => inFlight.settle(answer));
  port1.unref();

  const refusal = (): JobStoreError | undefined => {
    if (closed) return new JobStoreError(JobStoreErrorCode.closed, 'job store is closed');
    if (crashed) return new JobStoreError(JobStoreErrorCode.unreachable, `PostgreSQL bridge died: ${crashed.message}`);
    return undefined;
  };
  const call = (statements: readonly Statement[], begin?: string): StatementResult[] => {
    const refused = refusal();
    if (refused) throw refused;
    const id = nextId++;
    Atomics.store(flag, 0, 0);
    port1.postMessage({ id, statements, begin });
    const answer = awaitAnswer(port1, flag, id, timeoutMs, inFlight);
    if (answer.ok) return answer.results;
    throw answerError(answer.error);
  };
  const bridge: PgOrderedBridge = {
    run: (statements) => call(statements),
    transaction: (statements, begin = 'BEGIN') => call(statements, begin),
    transactionAsync: (statements, begin = 'BEGIN') => {
      const refused = refusal();
      if (refused) return Promise.reject(refused);
      const id = nextId++;
      const answer = inFlight.expect(id, timeoutMs);
      port1.postMessage({ id, statements, begin });
      return answer;
    },
    close: () => {
      if (closed) return;
      closed = true;
      inFlight.failAll(new JobStoreError(JobStoreErrorCode.closed, 'job store is closed'));
      port1.close();
      void worker.terminate();
    },
  };
  try {
    // A first round trip: a bad URL or a database that is down fails here, at start.
    bridge.run([{ text: 'SELECT 1' }]);
  } catch (err) {
    bridge.close();
    const e = err as JobStoreError;
    throw new JobStoreError(JobStoreErrorCode.unreachable, `cannot reach PostgreSQL: ${e.message}`, e.sqlState);
  }
  return bridge;
}

/** The error a failed answer stands for: no SQLSTATE means the connection, not the statement. */
function answerError(error: { message: string; sqlState?: string }): JobStoreError {
  const code = error.sqlState === undefined ? JobStoreErrorCode.unreachable : JobStoreErrorCode.database;
  return new JobStoreError(code, error.message, error.sqlState);
}

/** The asynchronous calls waiting for their answers, each under its own timeout. */
class AsyncCalls {
  readonly #waiting = new Map<
    number,
    { resolve: (r: StatementResult[]) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();

  /** A promise of request `id`'s answer, rejected with `ERR_STORE_TIMEOUT` after `timeoutMs`. */
  expect(id: number, timeoutMs: number): Promise<StatementResult[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new JobStoreError(JobStoreErrorCode.timeout, `PostgreSQL did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#waiting.set(id, { resolve, reject, timer });
    });
  }

  /** Settles the call an answer belongs to; an answer nobody waits for (timed out) is dropped. */
  settle(answer: Answer): void {
    const w = this.#waiting.get(answer.id);
    if (!w) return;
    this.#waiting.delete(answer.id);
    clearTimeout(w.timer);
    if (answer.ok) w.resolve(answer.results);
    else w.reject(answerError(answer.error));
  }

  /** Rejects every waiting call. */
  failAll(error: Error): void {
    for (const [id, w] of this.#waiting) {
      this.#waiting.delete(id);
      clearTimeout(w.timer);
      w.reject(error);
    }
  }
}

/**
 * Waits for the answer to request `id`, handing answers to asynchronous calls on to them and
 * dropping answers to earlier requests that timed out.
 */
function awaitAnswer(port: MessagePort, flag: Int32Array, id: number, timeoutMs: number, others: AsyncCalls): Answer {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The worker sets the flag after posting, so a set flag means the answer is in the queue.
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const answer = m.message as Answer;
      if (answer.id === id) return answer;
      others.settle(answer);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new JobStoreError(JobStoreErrorCode.timeout, `PostgreSQL did not answer within ${timeoutMs} ms`);
    }
    Atomics.wait(flag, 0, 0, left);
    Atomics.store(flag, 0, 0);
  }
}
