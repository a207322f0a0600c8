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
 * Starts the bridge's worker and connects, blocking until connected. Throws
 * `ERR_STORE_UNREACHABLE` when the database does not answer or refuses the connection.
 */
export function openPgBridge(options: PgBridgeOptions): PgBridge {
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
  worker.on('error', (err) => (crashed = err));
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  let nextId = 1;
  let closed = false;

  const call = (statements: readonly Statement[], begin?: string): StatementResult[] => {
    if (closed) throw new JobStoreError(JobStoreErrorCode.closed, 'job store is closed');
    if (crashed) throw new JobStoreError(JobStoreErrorCode.unreachable, `PostgreSQL bridge died: ${crashed.message}`);
    const id = nextId++;
    Atomics.store(flag, 0, 0);
    port1.postMessage({ id, statements, begin });
    const answer = awaitAnswer(port1, flag, id, timeoutMs);
    if (answer.ok) return answer.results;
    const code = answer.error.sqlState === undefined ? JobStoreErrorCode.unreachable : JobStoreErrorCode.database;
    throw new JobStoreError(code, answer.error.message, answer.error.sqlState);
  };
  const bridge: PgBridge = {
    run: (statements) => call(statements),
    transaction: (statements, begin = 'BEGIN') => call(statements, begin),
    close: () => {
      if (closed) return;
      closed = true;
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

/** Waits for the answer to request `id`, dropping answers to earlier requests that timed out. */
function awaitAnswer(port: MessagePort, flag: Int32Array, id: number, timeoutMs: number): Answer {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The worker sets the flag after posting, so a set flag means the answer is in the queue.
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const answer = m.message as Answer;
      if (answer.id === id) return answer;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new JobStoreError(JobStoreErrorCode.timeout, `PostgreSQL did not answer within ${timeoutMs} ms`);
    }
    Atomics.wait(flag, 0, 0, left);
    Atomics.store(flag, 0, 0);
  }
}
