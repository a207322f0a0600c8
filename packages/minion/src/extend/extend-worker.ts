/**
 * The entry of a custom extension's worker thread: the only place its code is imported and run
 * (issue #21). Lifecycle:
 * 1. hand the file the minion's zod (as the host does), import it from `workerData.url`, check
 *    its default export's shape for `workerData.kind`
 * 2. tell the main thread `ready` with its {@link Manifest} (names, docs, argument names), or
 *    `load.failed` with the error; a top-level loop never answers, and the main thread
 *    terminates the thread at its load deadline
 * 3. for each `call`: validate the input with the file's own schema, build a `ctx` whose data
 *    parts come with the call and whose methods ask the main thread over messages, run the
 *    function, state, grains provider, beacon check or `virtual()`, answer `done` or `fail`
 * 4. the main thread terminates the worker when a call overruns its deadline, or when the
 *    extension is synced away and its last call has ended
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ErrorCode, type ExtendKind } from '@brine/protocol';
import { describeExtension, type Manifest } from './extension-manifest.js';
import { provideHostModules } from './host-modules.js';
import { shapeChecks } from './shape-checks.js';
import { contextFor, stateContextFor, workerLog, type Channel } from './worker-context.js';
import {
  toWorkerError,
  type CallSnapshot,
  type FromWorker,
  type RpcOp,
  type StateSnapshot,
  type ToWorker,
  type WorkerData,
  type WorkerError,
} from './worker-protocol.js';

type Def = Record<string, unknown>;
type Call = Extract<ToWorker, { t: 'call' }>;
type Schema = {
  safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { issues: Issue[] } };
};
type Issue = { path: PropertyKey[]; message: string };
type Fn = (input: unknown, ctx: unknown) => unknown;

/** Serves one extension's calls on this thread; its state lives in this closure, one per thread. */
function serve(port: MessagePort, { url, kind }: WorkerData): void {
  const post = (m: FromWorker) => port.postMessage(m);
  provideHostModules();
  const loaded: Promise<{ def: Def; manifest: Manifest } | WorkerError> = import(url).then(
    (mod: { default?: unknown }) => {
      const problem = shapeChecks[kind](mod.default);
      if (problem) return failLoad({ message: problem });
      const def = mod.default as Def;
      const manifest = describeExtension(kind, def);
      post({ t: 'ready', manifest });
      return { def, manifest };
    },
    (err: unknown) => failLoad(toWorkerError(err)),
  );
  function failLoad(error: WorkerError): WorkerError {
    post({ t: 'load.failed', error });
    return error;
  }
  // The calls running here, and the answers this thread waits for from the main thread.
  const aborts = new Map<number, AbortController>();
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let nextRpc = 0;
  const ch: Channel = {
    post,
    rpc: (id: number, op: RpcOp, args: unknown[]): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const n = nextRpc++;
        waiting.set(n, { resolve, reject });
        post({ t: 'rpc', id, rpc: n, op, args });
      }),
  };

  const run = async (m: Call): Promise<void> => {
    const abort = new AbortController();
    aborts.set(m.id, abort);
    try {
      const got = await loaded;
      if (!('def' in got)) throw new Error(`the extension failed to load in its worker: ${got.message}`);
      const result = await perform(kind, got.def, m, abort.signal, ch);
      try {
        post({ t: 'done', id: m.id, result });
      } catch (err) {
        // A return that cannot be cloned (a function, a socket) is the author's error too.
        post({ t: 'fail', id: m.id, error: toWorkerError(err) });
      }
    } catch (err) {
      post({ t: 'fail', id: m.id, error: toWorkerError(err) });
    } finally {
      aborts.delete(m.id);
    }
  };

  port.on('message', (m: ToWorker) => {
    if (m.t === 'call') void run(m);
    else if (m.t === 'abort') aborts.get(m.id)?.abort();
    else {
      const w = waiting.get(m.rpc);
      waiting.delete(m.rpc);
      if (m.t === 'rpc.ok') w?.resolve(m.value);
      else w?.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
    }
  });
}

/** Runs one call against the loaded definition. */
async function perform(kind: ExtendKind, def: Def, m: Call, signal: AbortSignal, ch: Channel): Promise<unknown> {
  const name = def['name'] as string;
  const grains = (m.snap as { grains: Record<string, unknown> }).grains;
  switch (m.op) {
    case 'virtual': {
      const v = def['virtual'] as ((c: unknown) => unknown) | undefined;
      return v ? await v({ grains }) : true;
    }
    case 'grains':
      return (def['grains'] as (c: unknown) => unknown)({ grains, log: workerLog(m.id, ch) });
    case 'beacon': {
      const config = parse(def['config'] as Schema, m.input, `${name}: config`);
      const check = def['check'] as (c: unknown) => unknown;
      return check({ config, grains, log: workerLog(m.id, ch), signal });
    }
    case 'fn': {
      const spec = (def['functions'] as Record<string, { schema: Schema; run: Fn } | undefined>)[m.fn];
      if (!spec) throw new Error(`${m.fn} is not a function of this module`);
      const input = parse(spec.schema, m.input, `${name}.${m.fn}`);
      return spec.run(input, contextFor(m.id, m.snap as CallSnapshot, signal, ch));
    }
    case 'state':
    case 'watch': {
      const spec = (def['states'] as Record<string, { args: Schema; run: Fn; modWatch?: Fn } | undefined>)[m.fn];
      if (!spec || kind !== 'states') throw new Error(`${m.fn} is not a state of this module`);
      const parsed = spec.args.safeParse(m.input);
      if (!parsed.success)
        return {
          name: String((m.input as { name?: unknown })?.name ?? ''),
          result: false,
          comment: `Invalid arguments to ${name}.${m.fn}: ${issues(parsed.error.issues)}`,
          changes: {},
        };
      const sctx = stateContextFor(m.id, m.snap as StateSnapshot, signal, ch);
      const f = m.op === 'watch' && spec.modWatch ? spec.modWatch : spec.run;
      return f.call(spec, parsed.data, sctx);
    }
  }
}

/** The schema's output, or a throw coded `ERR_ARGS_INVALID` naming the argument. */
function parse(schema: Schema, input: unknown, what: string): unknown {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw Object.assign(new Error(`${what}: ${issues(parsed.error.issues)}`), { code: ErrorCode.ARGS_INVALID });
}

const issues = (list: Issue[]) =>
  list.map((i) => `${i.path.map(String).join('.') || 'arguments'}: ${i.message}`).join('; ');

serve(parentPort!, workerData as WorkerData);
