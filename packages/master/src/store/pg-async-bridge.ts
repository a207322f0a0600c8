import { createRequire } from 'node:module';
import { MessageChannel, Worker } from 'node:worker_threads';
import { JobStoreError, JobStoreErrorCode } from './job-store-error.js';
import type { PgBridgeOptions, Statement, StatementResult } from './pg-bridge.js';
import { workerSource } from './pg-bridge-worker.js';

type Answer =
  | { id: number; ok: true; results: StatementResult[] }
  | { id: number; ok: false; error: { message: string; sqlState?: string } };

/**
 * A PostgreSQL connection of its own whose calls do not block: each posts its statements to
 * the bridge's worker (the same worker as {@link PgBridge}'s, so it reconnects after a restart)
 * and resolves when the database has answered. The worker runs requests one at a time in the
 * order they were posted. For writes nobody waits on, such as the event relay's.
 */
export interface PgAsyncBridge {
  /** Runs statements one by one; rejects with the first error. */
  run(statements: readonly Statement[]): Promise<StatementResult[]>;
  /** Runs statements in one transaction; any error rolls it back and rejects. */
  transaction(statements: readonly Statement[], begin?: string): Promise<StatementResult[]>;
  /** Requests posted and not yet answered. */
  pending(): number;
  /** Ends the connection; calls still pending reject with `ERR_STORE_CLOSED`. */
  close(): void;
}

/** Starts the worker; it connects at the first call. */
export function openPgAsyncBridge(options: PgBridgeOptions): PgAsyncBridge {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerSource, {
    eval: true,
    execArgv: [],
    workerData: {
      pgPath: createRequire(import.meta.url).resolve('pg'),
      url: options.url,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      applicationName: options.applicationName ?? 'brine-master',
      // The worker wakes a waiter through this flag; nobody waits on it here.
      flag: new SharedArrayBuffer(4),
      port: port2,
    },
    transferList: [port2],
  });
  worker.unref();
  port1.unref();
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const waiting = new Map<
    number,
    { resolve: (r: StatementResult[]) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  let crashed: Error | undefined;
  let closed = false;
  let nextId = 1;
  const settle = (id: number, outcome: { results: StatementResult[] } | { error: Error }) => {
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    clearTimeout(w.timer);
    if ('error' in outcome) w.reject(outcome.error);
    else w.resolve(outcome.results);
  };
  const failAll = (error: Error) => {
    for (const id of [...waiting.keys()]) settle(id, { error });
  };
  worker.on('error', (err) => {
    crashed = err;
    failAll(new JobStoreError(JobStoreErrorCode.unreachable, `PostgreSQL bridge died: ${err.message}`));
  });
  port1.on('message', (answer: Answer) => {
    if (answer.ok) return settle(answer.id, { results: answer.results });
    const code = answer.error.sqlState === undefined ? JobStoreErrorCode.unreachable : JobStoreErrorCode.database;
    settle(answer.id, { error: new JobStoreError(code, answer.error.message, answer.error.sqlState) });
  });
  const call = (statements: readonly Statement[], begin?: string) =>
    new Promise<StatementResult[]>((resolve, reject) => {
      if (closed) return reject(new JobStoreError(JobStoreErrorCode.closed, 'PostgreSQL bridge is closed'));
      if (crashed)
        return reject(new JobStoreError(JobStoreErrorCode.unreachable, `PostgreSQL bridge died: ${crashed.message}`));
      const id = nextId++;
      const timer = setTimeout(
        () =>
          settle(id, {
            error: new JobStoreError(JobStoreErrorCode.timeout, `PostgreSQL did not answer within ${timeoutMs} ms`),
          }),
        timeoutMs,
      );
      timer.unref();
      waiting.set(id, { resolve, reject, timer });
      port1.postMessage({ id, statements, begin });
    });
  return {
    run: (statements) => call(statements),
    transaction: (statements, begin = 'BEGIN') => call(statements, begin),
    pending: () => waiting.size,
    close: () => {
      if (closed) return;
      closed = true;
      failAll(new JobStoreError(JobStoreErrorCode.closed, 'PostgreSQL bridge is closed'));
      port1.close();
      void worker.terminate();
    },
  };
}
