#!/usr/bin/env node
// Reconnect storm (issue 8): a swarm of N minions connected to a master with its default
// admission settings; the master is restarted; time until every minion is authenticated again,
// master RSS and event-loop delay during the storm, and a test.ping to all afterwards (no minion
// stuck). Writes its section of BENCHMARKS.md. Usage: node bench/storm.mjs [--n 10000]
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearInterval, setInterval } from 'node:timers';
import { startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { killChildrenOnExit, load1, rssBytes } from './lib/procs.mjs';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    'source-addresses': { type: 'string', default: '4' },
    out: { type: 'string', default: join(import.meta.dirname, '..', 'BENCHMARKS.md') },
    keep: { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
killChildrenOnExit();
const dir = mkdtempSync(join(tmpdir(), 'brine-storm-'));
// The master's own admission defaults: the storm is about them, not about a wide-open master.
const admission = { handshake_rate: 3000, handshake_burst: 1000, max_authenticating: 2000, heartbeat_ms: 15_000 };

/** One /metrics scrape (the event-loop figures are since the previous scrape). */
const scrape = async (master) => {
  const { body } = await master.request('GET', '/metrics');
  return (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(body)?.[1] ?? NaN);
};

let master = await startBenchMaster({ dir, fds: n + 2048, config: admission });
const ports = {
  port: master.endpoints.minionPort,
  api: { host: '127.0.0.1', port: Number(new URL(master.endpoints.api).port) },
};
const swarm = startSwarm({
  master,
  n,
  sourceAddresses: Number(values['source-addresses']),
  splayMs: 2000,
  statusEveryMs: 100,
  logFile: join(dir, 'swarm.log'),
});
const t0 = Date.now();
await swarm.waitConnected(n, 300_000);
console.error(`storm: ${n} connected to a fresh master in ${Date.now() - t0} ms`);
await sleep(2000);

// Restart: SIGTERM, then a new master process on the same ports and state (keys stay accepted).
await master.stop();
const downAt = Date.now();
// The swarm must have noticed before we wait for it to come back.
while (swarm.state.connected > 0) await sleep(50);
master = await startBenchMaster({ dir, fds: n + 2048, config: { ...admission, ...ports } });
const upAt = Date.now();
await scrape(master); // resets the event-loop delay window
let peakRss = 0;
const curve = [];
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, rssBytes(master.pid) ?? 0);
  curve.push({ t: Date.now() - upAt, connected: swarm.state.connected });
}, 250);
let allBackAt;
try {
  allBackAt = await swarm.waitConnected(n, 120_000, 60_000);
} finally {
  clearInterval(sampler);
}
const metrics = await scrape(master);
const p99 = metrics('brine_event_loop_delay_p99_seconds');
const max = metrics('brine_event_loop_delay_max_seconds');
const { body } = await master.request('GET', '/api/v1/minions?connected=true');
const ping = await master.request(
  'POST',
  '/api/v1/jobs?wait=true',
  { target: '*', fun: 'test.ping', timeoutMs: 30_000 },
  120_000,
);
// The highest number of new authentications in any one second: admission's bound in practice.
let peakPerSec = 0;
for (let i = 0; i < curve.length; i++) {
  const j = curve.findIndex((c) => c.t >= curve[i].t + 1000);
  if (j > 0) peakPerSec = Math.max(peakPerSec, curve[j].connected - curve[i].connected);
}
const result = {
  n,
  downMs: upAt - downAt,
  reauthMs: allBackAt - upAt,
  masterSeesConnected: body.minions.length,
  peakRssMiB: Math.round(peakRss / 2 ** 20),
  loopDelayP99Ms: Math.round(p99 * 1000),
  loopDelayMaxMs: Math.round(max * 1000),
  peakAuthPerSec: peakPerSec,
  pingReturned: ping.body?.summary?.returned,
  load1AtEnd: load1(),
};
await master.stop();
console.log(JSON.stringify(result));

const goals = [
  [
    'all re-authenticated',
    `${(result.reauthMs / 1000).toFixed(1)} s`,
    '≤ 60 s',
    result.reauthMs <= 60_000 && result.masterSeesConnected === n,
  ],
  ['master RSS, peak', `${result.peakRssMiB} MiB`, '< 1536 MiB', result.peakRssMiB < 1536],
  ['event-loop delay p99 during the storm', `${result.loopDelayP99Ms} ms`, '< 250 ms', result.loopDelayP99Ms < 250],
  [
    'no minion stuck (test.ping to all after)',
    `${result.pingReturned}/${n} returned`,
    `${n}/${n}`,
    result.pingReturned === n,
  ],
  [
    'handshakes admitted, busiest second',
    `${result.peakAuthPerSec}/s`,
    `≤ rate + burst (${admission.handshake_rate + admission.handshake_burst})`,
    result.peakAuthPerSec <= admission.handshake_rate + admission.handshake_burst,
  ],
];
const section = [
  '<!-- storm:start -->',
  '## Reconnect storm (`node bench/storm.mjs`)',
  '',
  `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
    `${n} swarm minions (one process, ${values['source-addresses']} source addresses) connected to a master with its default admission ` +
    `(${admission.handshake_rate} handshakes/s, burst ${admission.handshake_burst}, ${admission.max_authenticating} authenticating at most); ` +
    `the master is restarted (SIGTERM, ${result.downMs} ms down); the excess is told when to retry (jittered).`,
  '',
  '| figure | measured | goal | met |',
  '| --- | ---: | ---: | :---: |',
  ...goals.map(([what, got, goal, ok]) => `| ${what} | ${got} | ${goal} | ${ok ? 'yes' : 'NO'} |`),
  '',
  `Event-loop delay max ${result.loopDelayMaxMs} ms; 1-minute load average at the end ${result.load1AtEnd.toFixed(2)}.`,
  '<!-- storm:end -->',
].join('\n');
const old = existsSync(values.out) ? readFileSync(values.out, 'utf8') : '# Benchmarks\n';
const next = /<!-- storm:start -->[\s\S]*<!-- storm:end -->/.test(old)
  ? old.replace(/<!-- storm:start -->[\s\S]*<!-- storm:end -->/, section)
  : `${old.trimEnd()}\n\n${section}\n`;
writeFileSync(values.out, next);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
process.exit(0);
