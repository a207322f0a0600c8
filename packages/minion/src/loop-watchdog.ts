import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';

/** Options of {@link startLoopWatchdog}. */
export interface LoopWatchdogOptions {
  /** A stall longer than this is reported. @default 10000 */
  stallMs?: number;
  /** The file descriptor the watchdog thread writes its line to (the log's). @default 1 */
  fd?: number;
  /** Fields of the written line, pino-style (`name`, `id`). */
  fields?: Record<string, unknown>;
  log: Pick<Logger, 'warn'>;
}

/** A running watchdog: {@link stop} ends its thread and its heartbeat. */
export interface LoopWatchdog {
  stop(): Promise<void>;
}

// The watchdog thread: it cannot use the main thread's logger (its writes go through the blocked
// loop), so it writes one pino-shaped JSON line itself, synchronously, once per stall.
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { beat, stallMs, fd, fields } = workerData;
const cell = new Float64Array(beat);
const sleep = new Int32Array(new SharedArrayBuffer(4));
let reported = 0;
for (;;) {
  Atomics.wait(sleep, 0, 0, Math.max(10, stallMs / 4));
  const last = cell[0];
  if (last < 0) break;
  const blockedMs = Date.now() - last;
  if (blockedMs > stallMs && reported !== last) {
    reported = last;
    const line = { level: 50, time: Date.now(), ...fields, component: 'watchdog', blockedMs,
      msg: 'event loop blocked: a job (a custom function looping after an await?) holds the minion; restart it if this goes on' };
    try { writeSync(fd, JSON.stringify(line) + '\\n'); } catch {}
  }
}
`;

/**
 * Watches the minion's event loop from a thread of its own (issue #21): the main thread stamps a
 * shared cell every quarter of `stallMs`; when a stamp is older than `stallMs` the watchdog writes
 * an error line to `fd` (once per stall), and when the loop runs again the main thread logs how
 * long it was blocked. It reports and never kills: a custom function's synchronous prefix is
 * already stopped at its deadline (extend/isolate.ts); this covers what runs after an `await`.
 */
export function startLoopWatchdog(o: LoopWatchdogOptions): LoopWatchdog {
  const stallMs = o.stallMs ?? 10_000;
  const beat = new SharedArrayBuffer(8);
  const cell = new Float64Array(beat);
  cell[0] = Date.now();
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { beat, stallMs, fd: o.fd ?? 1, fields: o.fields ?? {} },
  });
  worker.unref();
  const tick = setInterval(
    () => {
      const now = Date.now();
      const gap = now - cell[0]!;
      if (gap > stallMs) o.log.warn({ blockedMs: gap }, 'event loop was blocked; running again');
      cell[0] = now;
    },
    Math.max(10, stallMs / 4),
  );
  tick.unref();
  return {
    stop: async () => {
      clearInterval(tick);
      cell[0] = -1;
      await worker.terminate();
    },
  };
}
