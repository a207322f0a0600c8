#!/usr/bin/env node
// Profiles the master and the swarm together during `test.ping` fan-out rounds, for finding
// where a round's time goes on both sides (bench/run.mjs --profile profiles the master only).
// Usage: node bench/profile-both.mjs [--n 2000] [--rounds 10] [--out-dir /tmp]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { startInspectorProfile } from './profile.mjs';
import { killAll, killChildrenOnExit } from './lib/procs.mjs';

const { values: flags } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '10' },
    'out-dir': { type: 'string', default: tmpdir() },
    'source-addresses': { type: 'string', default: '4' },
    connect: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '1' },
    'master-config': { type: 'string', default: '{}' },
    'no-profile': { type: 'boolean', default: false },
    'master-node-args': { type: 'string', default: '' },
  },
});
const n = Number(flags.n);
killChildrenOnExit();

function report(name, s) {
  console.log(`\n== ${name}: ${s.file}: profiled ${s.totalMs.toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms`);
  for (const f of s.functions)
    console.log(`${f.ms.toFixed(1).padStart(8)} ms ${((100 * f.ms) / s.busyMs).toFixed(1).padStart(5)} %  ${f.name}`);
  for (const pk of s.packages.slice(0, 10)) console.log(`  pkg ${pk.ms.toFixed(1).padStart(8)} ms  ${pk.name}`);
}
const dir = mkdtempSync(join(tmpdir(), 'brine-prof-'));
try {
  const inspect = flags['no-profile'] ? [] : ['--inspect=127.0.0.1:0'];
  const master = await startBenchMaster({
    dir,
    fds: n + 1024,
    nodeArgs: inspect,
    config: JSON.parse(flags['master-config']),
  });
  const swarm = startSwarm({
    master,
    n,
    sourceAddresses: Number(flags['source-addresses']),
    logFile: join(dir, 'swarm.log'),
    nodeArgs: inspect,
  });
  const t0 = performance.now();
  const connectProfiles =
    flags.connect && !flags['no-profile']
      ? [
          ['master-connect', await startInspectorProfile(master.logFile)],
          ['swarm-connect', await startInspectorProfile(join(dir, 'swarm.log'))],
        ]
      : [];
  const series = [];
  const sampler = setInterval(() => series.push(swarm.state.connected), 1000);
  await swarm.waitConnected(n, 300_000);
  clearInterval(sampler);
  console.log(`connected per second: ${series.join(' ')}`);
  console.log(`connected ${n} in ${(performance.now() - t0).toFixed(0)} ms`);
  for (const [name, p] of connectProfiles)
    report(name, await p.stop(join(flags['out-dir'], `brine-${name}-${n}-${Date.now()}.cpuprofile`)));
  const ping = async () => {
    const t = performance.now();
    const res = await master.request('POST', '/api/v1/jobs?wait=true', { target: '*', fun: 'test.ping' });
    if (res.body.summary?.returned !== n) throw new Error(JSON.stringify(res.body.summary));
    return performance.now() - t;
  };
  for (let i = 0; i < 3; i++) await ping();
  const pm = flags['no-profile'] ? undefined : await startInspectorProfile(master.logFile);
  const ps = flags['no-profile'] ? undefined : await startInspectorProfile(join(dir, 'swarm.log'));
  const times = [];
  const concurrency = Number(flags.concurrency);
  if (concurrency > 1) {
    // Back-to-back jobs from several requesters (the ingest benchmark's load) for `rounds` seconds.
    const until = performance.now() + Number(flags.rounds) * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) times.push(await ping());
      }),
    );
    console.log(
      `${times.length} jobs of ${n} in ${flags.rounds} s: ${((times.length * n) / Number(flags.rounds)).toFixed(0)} returns/s`,
    );
  } else {
    for (let i = 0; i < Number(flags.rounds); i++) {
      times.push(await ping());
      await sleep(20);
    }
  }
  const stamp = Date.now();
  for (const [name, p] of [
    ['master', pm],
    ['swarm', ps],
  ]) {
    if (p) report(name, await p.stop(join(flags['out-dir'], `brine-${name}-${n}-${stamp}.cpuprofile`)));
  }
  times.sort((a, b) => a - b);
  console.log(
    `\nround times ms: ${times.map((t) => t.toFixed(0)).join(' ')}; median ${times[times.length >> 1].toFixed(0)}`,
  );
  const { readFileSync } = await import('node:fs');
  const log = readFileSync(join(dir, 'swarm.log'), 'utf8');
  console.log(
    `swarm log: ${(log.match(/refused authentication/g) ?? []).length} refusals, ${log.split('\n').length} lines`,
  );
  console.log(log.split('\n').slice(0, 3).join('\n'));
} finally {
  await sleep(200);
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
