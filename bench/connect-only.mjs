#!/usr/bin/env node
// Connect + authenticate alone: a fresh master and a swarm of N, timed from the swarm's first
// connect to all N authenticated, with each side's CPU over exactly that span (the swarm's
// start-up, keys and wiring excluded). For finding where connect time goes without the fan-out
// rounds; `--profile` CPU-profiles both sides over the same span.
// Usage: node bench/connect-only.mjs [--n 10000] [--runs 1] [--profile] [--out-dir /tmp]
//   [--master-config JSON]; SWARM_PRELOAD=file.mjs preloads a module into the swarm (`--import`),
//   e.g. one that counts its TLS connects.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { startInspectorProfile } from './profile.mjs';
import { cpuMs, killAll, killChildrenOnExit, rssBytes } from './lib/procs.mjs';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    'out-dir': { type: 'string', default: tmpdir() },
    'source-addresses': { type: 'string', default: '4' },
    'master-config': { type: 'string', default: '{}' },
  },
});
const n = Number(flags.n);
killChildrenOnExit();

/** Counts the `code` of each warning line in a swarm log. */
function countCodes(log) {
  const counts = {};
  for (const m of log.matchAll(/"code":"([A-Z_]+)"/g)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  return counts;
}

async function once() {
  const dir = mkdtempSync(join(tmpdir(), 'brine-connect-'));
  const inspect = flags.profile ? ['--inspect=127.0.0.1:0'] : [];
  const load = loadavg()[0];
  try {
    const master = await startBenchMaster({
      dir,
      fds: n + 1024,
      nodeArgs: inspect,
      config: JSON.parse(flags['master-config']),
    });
    await sleep(500);
    const swarmLog = join(dir, 'swarm.log');
    const swarm = startSwarm({
      master,
      n,
      sourceAddresses: Number(flags['source-addresses']),
      logFile: swarmLog,
      nodeArgs: [...inspect, ...(process.env.SWARM_PRELOAD ? ['--import', process.env.SWARM_PRELOAD] : [])],
    });
    const profilers = flags.profile
      ? [
          ['master', await startInspectorProfile(master.logFile)],
          ['swarm', await startInspectorProfile(swarmLog)],
        ]
      : [];
    while (swarm.state.firstConnectAt === undefined) await sleep(5);
    const cpu0 = { master: cpuMs(master.pid), swarm: cpuMs(swarm.pid) };
    const allAt = await swarm.waitConnected(n, 300_000);
    const cpu1 = { master: cpuMs(master.pid), swarm: cpuMs(swarm.pid) };
    const stamp = Date.now();
    const files = [];
    for (const [side, p] of profilers)
      files.push((await p.stop(join(flags['out-dir'], `connect-${side}-${n}-${stamp}.cpuprofile`))).file);
    const r = {
      n,
      load1: Number(load.toFixed(2)),
      connectMs: allAt - swarm.state.firstConnectAt,
      masterCpuMs: cpu1.master - cpu0.master,
      swarmCpuMs: cpu1.swarm - cpu0.swarm,
      masterRssMb: Math.round((rssBytes(master.pid) ?? 0) / 1048576),
      swarmRssMb: Math.round(swarm.state.rss / 1048576),
      ...(files.length ? { profiles: files } : {}),
      // Why minions were turned away, from the swarm's warnings (auth.refused and error frames).
      refusals: countCodes(existsSync(swarmLog) ? readFileSync(swarmLog, 'utf8') : ''),
    };
    await swarm.stop();
    await master.stop();
    return r;
  } finally {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let i = 0; i < Number(flags.runs); i++) console.log(JSON.stringify(await once()));
