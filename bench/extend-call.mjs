#!/usr/bin/env node
// What running a custom module function in its worker thread costs (issue #21, docs/extending.md
// "What it costs"): calls/s of a test.ping-like custom function run plainly, under the node:vm
// timeout the worker replaced, and through its module's worker (one and four calls in flight),
// then the same for a custom state function (plainly, and through its state module's worker), then
// the time to start a worker and import a module, and the RSS each worker holds.
// Needs the build (npx tsc -b). Usage: node --expose-gc bench/extend-call.mjs [--rounds 2]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Script, createContext } from 'node:vm';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const extend = join(dirname(fileURLToPath(import.meta.url)), '../packages/minion/dist/extend');
const { isolated } = await import(pathToFileURL(join(extend, 'isolate.js')).href);
const { WorkerPool } = await import(pathToFileURL(join(extend, 'worker-pool.js')).href);
const { provideHostModules } = await import(pathToFileURL(join(extend, 'host-modules.js')).href);
const { stateModuleStandIn } = await import(pathToFileURL(join(extend, 'stand-ins.js')).href);
const pino = createRequire(join(extend, '../../package.json'))('pino');
// The files read the minion's zod from this global, as the master compiles them.
provideHostModules();
const ZOD = "const { z } = globalThis[Symbol.for('brine.extend.zod')];";
const log = pino({ level: 'silent' });

const dir = mkdtempSync(join(tmpdir(), 'brine-extend-call-'));
const moduleFile = (name) => {
  const file = join(dir, `${name}.js`);
  writeFileSync(
    file,
    `${ZOD} export default { name: '${name}', functions: { ping: { doc: '', params: [], schema: z.object({}), run: async () => ({ ret: true }) } } };\n`,
  );
  return `${pathToFileURL(file).href}?v=1`;
};
const ctx = {
  jid: 'bench',
  log,
  signal: { aborted: false, addEventListener() {}, removeEventListener() {} }, // never aborts
  timeoutMs: 60_000,
  grains: { all: () => ({ id: 'bench', os: 'Debian', kernel: 'Linux', num_cpus: 2, ipv4: ['127.0.0.1'] }) },
  jobs: { running: () => [] },
  mine: { configured: () => ({}) },
  maxOutputBytes: 1 << 20,
  cacheDir: dir,
  emit: () => {},
};
const noCall = async () => ({ ret: null });
const stub = (name) => ({ name: `${name}.ping`, doc: '', params: [], schema: null, run: null });

const url = moduleFile('pinger');
const plain = (await import(url)).default.functions.ping;
// The isolation before issue #21's worker: the function's start under a vm timeout.
const START = new Script('start()');
const underVm = (input, c) =>
  START.runInContext(createContext({ start: () => plain.run(input, c) }), { timeout: 60_000 });
const pool = new WorkerPool({ log });
const inWorker = isolated(stub('pinger'), { worker: pool.acquire(url), fn: 'ping', call: noCall });
await inWorker.run({}, ctx);

async function rate(name, run, n, inFlight) {
  for (let i = 0; i < 200; i++) await run({}, ctx);
  const t = performance.now();
  for (let i = 0; i < n; i += inFlight) await Promise.all(Array.from({ length: inFlight }, () => run({}, ctx)));
  const ms = performance.now() - t;
  console.log(
    `${name}, ${inFlight} in flight: ${Math.round((n / ms) * 1000)} calls/s, ${((ms / n) * 1000).toFixed(1)} µs/call`,
  );
}
// A custom state that checks and answers "nothing to do", as most states of a highstate do.
const stateFile = join(dir, 'st.js');
writeFileSync(
  stateFile,
  `${ZOD} export default { name: 'st', states: { ok: { doc: '', args: z.object({ name: z.string() }),
  run: async ({ name }, ctx) => ({ name, result: ctx.test ? null : true, comment: 'ok', changes: {} }) } } };\n`,
);
const stateUrl = `${pathToFileURL(stateFile).href}?v=1`;
const plainState = (await import(stateUrl)).default.states.ok;
const stateWorker = pool.acquire(stateUrl, 'states');
const standIn = stateModuleStandIn(await stateWorker.describe(10_000), stateWorker).states.ok;
const sctx = {
  log,
  signal: ctx.signal,
  test: false,
  files: {},
  render: async (t) => t,
  grains: ctx.grains.all,
  pillar: Object.assign(() => undefined, { data: { app: { env: 'prod' } } }),
  call: noCall,
  timeoutMs: 60_000,
  maxOutputBytes: 1 << 20,
  emit: () => {},
  cacheDir: dir,
};
const stateRun = (run) => () => run({ name: '/srv/x' }, sctx);

for (let round = 0; round < Number(flags.rounds); round++) {
  await rate('plain', plain.run, 50_000, 1);
  await rate('vm timeout (before)', underVm, 5000, 1);
  await rate('worker (now)', inWorker.run, 10_000, 1);
  await rate('worker (now)', inWorker.run, 10_000, 4);
  await rate('state, plain', stateRun(plainState.run), 50_000, 1);
  await rate('state, in its worker', stateRun(standIn.run), 10_000, 1);
  await rate('state, in its worker', stateRun(standIn.run), 10_000, 4);
}

globalThis.gc?.();
const rss0 = process.memoryUsage().rss;
const more = 5;
for (let i = 0; i < more; i++) {
  const u = moduleFile(`extra${i}`);
  const t = performance.now();
  await isolated(stub(`extra${i}`), { worker: pool.acquire(u), fn: 'ping', call: noCall }).run({}, ctx);
  console.log(`worker ${i}: started, imported its module and answered in ${(performance.now() - t).toFixed(0)} ms`);
}
await new Promise((r) => setTimeout(r, 500));
globalThis.gc?.();
console.log(
  `RSS per worker: ${((process.memoryUsage().rss - rss0) / more / 1048576).toFixed(1)} MB${globalThis.gc ? '' : ' (run with --expose-gc for a steadier figure)'}`,
);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
