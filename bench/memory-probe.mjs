#!/usr/bin/env node
// Where the master's memory per minion goes: process.memoryUsage() of a master with N swarm
// minions, idle, after fan-out rounds, and after a forced full GC (through the inspector), so a
// per-minion figure can be split into live heap, garbage not yet collected, and native memory.
// Usage: node bench/memory-probe.mjs [--n 5000] [--rounds 10] [--snapshot FILE]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { killAll, killChildrenOnExit } from './lib/procs.mjs';
import { readFileSync } from 'node:fs';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '10' },
    snapshot: { type: 'string' },
    'master-config': { type: 'string', default: '{}' },
    'master-node-args': { type: 'string', default: '' },
  },
});
const n = Number(flags.n);
killChildrenOnExit();
const dir = mkdtempSync(join(tmpdir(), 'brine-mem-'));

async function inspector(logFile) {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'))[1];
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 2 ** 31 });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  let next = 0;
  const pending = new Map();
  const chunks = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    if (m.method === 'HeapProfiler.addHeapSnapshotChunk') return void chunks.push(m.params.chunk);
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  const send = (method, params = {}) =>
    new Promise((r) => {
      pending.set(++next, r);
      ws.send(JSON.stringify({ id: next, method, params }));
    });
  return {
    send,
    usage: async () =>
      JSON.parse(
        (await send('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true }))
          .result.value,
      ),
    snapshot: async (file) => {
      chunks.length = 0;
      await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      writeFileSync(file, chunks.join(''));
    },
    close: () => ws.close(),
  };
}

const mb = (b) => (b / 1048576).toFixed(1) + ' MB';
const perMinion = (a, b) => ((b - a) / n / 1024).toFixed(1) + ' KB';
try {
  const master = await startBenchMaster({
    dir,
    fds: n + 1024,
    nodeArgs: ['--inspect=127.0.0.1:0', ...flags['master-node-args'].split(' ').filter(Boolean)],
    config: JSON.parse(flags['master-config']),
  });
  const insp = await inspector(master.logFile);
  await sleep(1000);
  await insp.send('HeapProfiler.collectGarbage');
  const zero = await insp.usage();
  const swarm = startSwarm({ master, n, sourceAddresses: 4, logFile: join(dir, 'swarm.log') });
  await swarm.waitConnected(n, 300_000);
  await sleep(3000);
  const idle = await insp.usage();
  await insp.send('HeapProfiler.collectGarbage');
  const idleGc = await insp.usage();
  for (let i = 0; i < Number(flags.rounds); i++)
    await master.request('POST', '/api/v1/jobs?wait=true', { target: '*', fun: 'test.ping' });
  await sleep(1500);
  const after = await insp.usage();
  await insp.send('HeapProfiler.collectGarbage');
  await sleep(200);
  const afterGc = await insp.usage();
  const row = (name, u) =>
    console.log(
      `${name.padEnd(12)} rss ${mb(u.rss).padStart(9)} (${perMinion(zero.rss, u.rss)}/minion)  heapTotal ${mb(u.heapTotal).padStart(9)}  heapUsed ${mb(u.heapUsed).padStart(9)} (${perMinion(zero.heapUsed, u.heapUsed)}/minion)  external ${mb(u.external).padStart(8)}  arrayBuffers ${mb(u.arrayBuffers).padStart(8)}`,
    );
  row('0 minions', zero);
  row('idle', idle);
  row('idle, GC', idleGc);
  row('after jobs', after);
  row('after, GC', afterGc);
  if (flags.snapshot) await insp.snapshot(flags.snapshot);
  insp.close();
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
