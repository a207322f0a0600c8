/**
 * The body of the PostgreSQL bridge's worker thread, run from its source text (see
 * {@link workerSource}) so that it works the same from `src` under vitest and from `dist`.
 * It must not close over anything: it gets `require` and its `workerData` as arguments.
 *
 * It holds one `pg` client and answers one request at a time, in order: a list of statements,
 * run in one transaction or one by one. After posting each answer it sets the shared flag and wakes the
 * main thread, which waits on that flag with `Atomics.wait`. A lost connection is dropped and
 * made again at the next request, so the store survives a PostgreSQL restart.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
function bridgeWorker(require: (id: string) => any, data: any): void {
  const pg = require(data.pgPath);
  const { parentPort } = require('node:worker_threads');
  // int8 (bigint) columns hold ms timestamps and counts: well inside a double.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const flag = new Int32Array(data.flag);
  const port = data.port;
  let client: any;
  let broken = false;

  async function connect(): Promise<any> {
    if (client && !broken) return client;
    if (client) client.end().catch(() => {});
    // Forget the old client before connecting: a failed connect must not leave it in use.
    client = undefined;
    broken = false;
    const next = new pg.Client({
      connectionString: data.url,
      connectionTimeoutMillis: data.connectTimeoutMs,
      application_name: data.applicationName,
    });
    next.on('error', () => {
      broken = true;
    });
    await next.connect();
    client = next;
    return next;
  }

  function fix(value: any): any {
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
    return Array.isArray(value) ? value.map(fix) : value;
  }

  async function run(req: any): Promise<any> {
    const c = await connect();
    const out = [];
    if (req.begin) await c.query(req.begin);
    try {
      for (const s of req.statements) {
        const r = await c.query({ text: s.text, values: s.values ? s.values.map(fix) : undefined });
        out.push({ rows: r.rows ?? [], rowCount: r.rowCount ?? 0 });
      }
      if (req.begin) await c.query('COMMIT');
    } catch (err) {
      if (req.begin) await c.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    }
    return out;
  }

  // One request at a time, in arrival order: two transactions never interleave on the client,
  // whether a caller waits for each answer (PgBridge) or posts several (PgAsyncBridge).
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (req: any) => {
    queue = queue.then(() => handle(req));
  });

  function handle(req: any): Promise<void> {
    return run(req)
      .then(
        (results) => port.postMessage({ id: req.id, ok: true, results }),
        (err) => {
          // Connection-level failures carry no SQLSTATE: make a new client next time.
          if (typeof err?.code !== 'string' || err.code.length !== 5) broken = true;
          port.postMessage({
            id: req.id,
            ok: false,
            error: {
              message: String(err?.message ?? err),
              sqlState: typeof err?.code === 'string' ? err.code : undefined,
            },
          });
        },
      )
      .finally(() => {
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      });
  }
  parentPort?.postMessage('ready');
}
/* eslint-enable */

/** The worker's source text, for `new Worker(source, { eval: true })`. */
export const workerSource = `(${bridgeWorker.toString()})(require, require('node:worker_threads').workerData);`;
