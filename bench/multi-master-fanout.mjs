// The fan-out across masters (issue #20): test.ping published on ONE of `masters` masters
// sharing a PostgreSQL database, to N swarm minions spread evenly over all of them, against one
// master holding the same N on the same kind of database. Lifecycle:
// 1. one master (store: a fresh database), N swarm minions on it; warm-up pings until every
//    minion returns, then `rounds` timed pings
// 2. `masters` masters on another fresh database sharing one identity, the same N spread over
//    them (minion i of each swarm process starts at master i mod m); warm-up pings from the first
//    master until its job returns from all N (it must see every other master's sessions), then
//    `rounds` timed pings from the first master, optionally CPU-profiled (the publishing master
//    and the first holding master)
// 3. the ratio of the medians: time to the last return (the job's own clock, publish to last
//    outcome), and the API's wall time around `?wait=true`
// The swarm runs in processes of at most `perProcess` minions (each its own file-descriptor
// budget), connections spread over `sourceAddresses` loopback addresses.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { startInspectorProfile } from './profile.mjs';
import { load1 } from './lib/procs.mjs';
import { summarize } from './lib/stats.mjs';

/** The identity files every master of a group shares (docs/scale.md). */
export const IDENTITY = ['master.pem', 'master.pub', 'master-tls.key', 'master-tls.crt'];
const PING = { target: '*', fun: 'test.ping', timeoutMs: 60_000 };

/**
 * Starts `count` masters on `url` under `dir`, the later ones with the first one's identity
 * files, so a minion's pinned key holds for each. Resolves with the masters in order.
 */
export async function startMasterGroup({ url, count, fds, dir, nodeArgs = () => [], config = {} }) {
  const masters = [];
  for (let i = 0; i < count; i++) {
    const mdir = join(dir, `master-${i}`);
    if (i > 0) {
      const pki = join(mdir, 'master', 'pki');
      mkdirSync(pki, { recursive: true, mode: 0o700 });
      for (const f of IDENTITY) copyFileSync(join(masters[0].dir, 'master', 'pki', f), join(pki, f));
    }
    masters.push(await startBenchMaster({ dir: mdir, fds, nodeArgs: nodeArgs(i), config: { store: url, ...config } }));
  }
  return masters;
}

/**
 * A swarm of `n` split over processes of at most `perProcess` minions (ids `bench-p<k>-<i>`,
 * which the bench masters autosign), each spreading its minions over `masterUrls`. The same
 * shape as one `startSwarm`: `waitConnected(n, timeoutMs, stallMs)` resolves when every process
 * has all of its own connected; `state.connected` is their sum.
 */
export function startSwarms({ master, masterUrls, n, perProcess = 2500, sourceAddresses, reconnectBaseMs, dir }) {
  const parts = Math.max(1, Math.ceil(n / perProcess));
  const swarms = [];
  for (let k = 0; k < parts; k++) {
    const count = Math.floor(n / parts) + (k < n % parts ? 1 : 0);
    swarms.push({
      count,
      swarm: startSwarm({
        master,
        masterUrls,
        n: count,
        idPrefix: `bench-p${k}-`,
        sourceAddresses,
        reconnectBaseMs,
        logFile: join(dir, `swarm-${k}.log`),
      }),
    });
  }
  return {
    processes: parts,
    state: {
      get connected() {
        return swarms.reduce((a, s) => a + s.swarm.state.connected, 0);
      },
    },
    waitConnected: async (_n, timeoutMs, stallMs) =>
      Math.max(...(await Promise.all(swarms.map((s) => s.swarm.waitConnected(s.count, timeoutMs, stallMs))))),
    stop: async () => {
      for (const s of swarms) await s.swarm.stop();
    },
  };
}

/** One test.ping to `*` through `master`'s API; the job's own clock and the API's wall time. */
async function ping(master) {
  const t0 = performance.now();
  const res = await master.request('POST', '/api/v1/jobs?wait=true', PING, 180_000);
  const wallMs = performance.now() - t0;
  if (res.status !== 200) throw new Error(`POST /api/v1/jobs: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return { wallMs, jobMs: res.body.summary.durationMs, summary: res.body.summary };
}

/** Pings until a job returns from all `n` (the sessions and grains of the others are read). */
async function warmUp(master, n, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await ping(master);
    if (last.summary.returned === n) return;
    if (Date.now() > deadline)
      throw new Error(`warm-up: ${last.summary.returned}/${n} returned (${JSON.stringify(last.summary)})`);
    await sleep(500);
  }
}

/** `rounds` pings from `master`, each required to return from all `n`. */
async function timedRounds(master, n, rounds) {
  const job = [];
  const wall = [];
  for (let r = 0; r < rounds; r++) {
    const p = await ping(master);
    if (p.summary.returned !== n)
      throw new Error(`round ${r}: ${p.summary.returned}/${n} returned (${JSON.stringify(p.summary)})`);
    job.push(p.jobMs);
    wall.push(p.wallMs);
  }
  return { jobMs: summarize(job), wallMs: summarize(wall), runsJobMs: job.map(Math.round) };
}

/** One cluster: `count` masters, `n` minions spread over them, pings from the first. */
async function measureCluster({ url, count, n, rounds, perProcess, sourceAddresses, dir, profileDir }) {
  const load = load1();
  const nodeArgs = (i) => (profileDir && i < 2 ? ['--inspect=127.0.0.1:0'] : []);
  const masters = await startMasterGroup({ url, count, fds: n + 1024, dir, nodeArgs });
  let swarm;
  try {
    const urls = masters.map((m) => `wss://127.0.0.1:${m.endpoints.minionPort}`);
    const spawnedAt = Date.now();
    swarm = startSwarms({ master: masters[0], masterUrls: urls, n, perProcess, sourceAddresses, dir });
    const allAt = await swarm.waitConnected(n, 900_000, 180_000);
    await warmUp(masters[0], n, 180_000);
    const profilers = profileDir
      ? await Promise.all(masters.slice(0, 2).map((m) => startInspectorProfile(m.logFile)))
      : [];
    const measured = await timedRounds(masters[0], n, rounds);
    const profiles = [];
    for (const [i, p] of profilers.entries()) {
      const s = await p.stop(join(profileDir, `fanout-${count}m-master${i}.cpuprofile`));
      profiles.push({
        file: s.file,
        busyMs: Math.round(s.busyMs),
        totalMs: Math.round(s.totalMs),
        top: s.functions.slice(0, 12),
      });
    }
    return { masters: count, load, connectMs: allAt - spawnedAt, processes: swarm.processes, ...measured, profiles };
  } finally {
    await swarm?.stop();
    for (const m of masters) await m.stop();
  }
}

/**
 * The fan-out ratio (issue #20's goal: at most 1.5x at N = 10,000): the time to the last return
 * of test.ping published on one of `masters` masters, its N minions spread over them, against
 * one master holding all N; both on PostgreSQL (`urlFor(name)` makes a fresh database).
 */
export async function runFanoutRatio({
  urlFor,
  n,
  masters,
  rounds = 5,
  perProcess = 2500,
  sourceAddresses = 1,
  dir,
  profileDir,
}) {
  const common = { n, rounds, perProcess, sourceAddresses };
  const one = await measureCluster({ ...common, url: urlFor('fanout1'), count: 1, dir: join(dir, 'one') });
  const many = await measureCluster({
    ...common,
    url: urlFor(`fanout${masters}`),
    count: masters,
    dir: join(dir, 'many'),
    profileDir,
  });
  return {
    n,
    rounds,
    one,
    many,
    ratio: Number((many.jobMs.median / one.jobMs.median).toFixed(2)),
    wallRatio: Number((many.wallMs.median / one.wallMs.median).toFixed(2)),
  };
}
