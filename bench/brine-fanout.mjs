// Brine's fan-out for one N (a fresh master, a swarm of N minions, `test.ping` to `*` through
// the REST API), and sustained return ingest.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { startInspectorProfile } from './profile.mjs';
import { cpuMeter, load1, settledRss } from './lib/procs.mjs';
import { summarize } from './lib/stats.mjs';

const PING = { target: '*', fun: 'test.ping', timeoutMs: 30_000 };

/** Runs one `test.ping` to `*` with `?wait=true`; returns the wall ms and the summary. */
async function ping(master, expected) {
  const t0 = performance.now();
  const res = await master.request('POST', '/api/v1/jobs?wait=true', PING, 120_000);
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`POST /api/v1/jobs: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  const { summary } = res.body;
  if (expected !== undefined && summary.returned !== expected)
    throw new Error(`test.ping: ${summary.returned}/${expected} returned (${JSON.stringify(summary)})`);
  return { ms, summary, jid: res.body.jid };
}

/**
 * Starts a fresh master and a swarm of `n`, then measures: connect + authenticate time for all
 * `n`, master RSS with 0 and with `n` connected (idle and after traffic), and `rounds` timed
 * `test.ping` round trips after `warmup`. With `profileFile`, the master is CPU-profiled during
 * the measured rounds, and separately while the swarm connects (`…-connect.cpuprofile`).
 */
export async function runBrineFanout({ n, warmup, rounds, sourceAddresses, splayMs, masterConfig, dir, profileFile }) {
  const loadAtStart = load1();
  const master = await startBenchMaster({
    dir,
    config: masterConfig,
    fds: n + 1024,
    nodeArgs: profileFile ? ['--inspect=127.0.0.1:0'] : [],
  });
  let swarm;
  try {
    await sleep(1000);
    const rssZero = await settledRss(master.pid);
    const connectProfiler = profileFile ? await startInspectorProfile(master.logFile) : undefined;
    const spawnedAt = Date.now();
    const swarmLog = join(dir, 'swarm.log');
    swarm = startSwarm({
      master,
      n,
      sourceAddresses,
      splayMs,
      logFile: swarmLog,
      ...(profileFile ? { nodeArgs: ['--inspect=127.0.0.1:0'] } : {}),
    });
    // The swarm's profile starts once its inspector is up: module loading is missed, not connects
    // (keys are made before the first connect).
    const swarmConnectProfiler = profileFile ? await startInspectorProfile(swarmLog) : undefined;
    const meterConnect = cpuMeter({ master: master.pid, swarm: swarm.pid });
    const allAt = await swarm.waitConnected(n, 300_000);
    const connectCpu = meterConnect();
    const connectProfile = await connectProfiler?.stop(profileFile.replace(/(\.cpuprofile)?$/, '-connect.cpuprofile'));
    const swarmConnectProfile = await swarmConnectProfiler?.stop(
      profileFile.replace('-master-', '-swarm-').replace(/(\.cpuprofile)?$/, '-connect.cpuprofile'),
    );
    const connectMs = allAt - (swarm.state.firstConnectAt ?? spawnedAt);
    // The master counts a minion once `welcome` is sent; the swarm once it is received.
    const { body } = await master.request('GET', '/api/v1/minions?connected=true');
    if (body.minions.length < n) throw new Error(`master sees ${body.minions.length}/${n} connected`);
    await sleep(1000);
    const rssIdle = await settledRss(master.pid);

    for (let i = 0; i < warmup; i++) await ping(master, n);
    const profiler = profileFile ? await startInspectorProfile(master.logFile) : undefined;
    const swarmProfiler = profileFile ? await startInspectorProfile(swarmLog) : undefined;
    const meter = cpuMeter({ master: master.pid, swarm: swarm.pid });
    const times = [];
    for (let i = 0; i < rounds; i++) {
      times.push((await ping(master, n)).ms);
      await sleep(20);
    }
    const cpu = meter();
    const profile = profiler ? await profiler.stop(profileFile) : undefined;
    const swarmProfile = await swarmProfiler?.stop(profileFile.replace('-master-', '-swarm-'));
    await sleep(1000);
    const rssAfter = await settledRss(master.pid);
    return {
      n,
      load: loadAtStart,
      connectMs,
      connectFromSpawnMs: allAt - spawnedAt,
      connectMasterCpuMs: connectCpu.cpuMs.master,
      connectSwarmCpuMs: connectCpu.cpuMs.swarm,
      connectForeignCores: connectCpu.foreignCores,
      rtt: summarize(times),
      rss: { zero: rssZero, idle: rssIdle, after: rssAfter },
      perMinionIdleBytes: (rssIdle - rssZero) / n,
      perMinionBytes: (rssAfter - rssZero) / n,
      masterCpuUsPerReply: (cpu.cpuMs.master * 1000) / (n * rounds),
      swarmCpuUsPerReply: (cpu.cpuMs.swarm * 1000) / (n * rounds),
      foreignCores: cpu.foreignCores,
      swarmRss: swarm.state.rss,
      profile: profile && {
        fanout: profile,
        connect: connectProfile,
        swarmFanout: swarmProfile,
        swarmConnect: swarmConnectProfile,
      },
    };
  } finally {
    await swarm?.stop();
    await master.stop();
  }
}

/**
 * Sustained ingest: `concurrency` requesters send `test.ping` to `n` minions back to back for
 * `seconds`; counts the returns the API reported stored (every result the API hands out has
 * been committed to the job cache first) and checks the count against the master's
 * brine_returns_stored_total counter and one job read back from the cache.
 */
export async function runIngest({ n, seconds, concurrency, sourceAddresses, masterConfig, dir }) {
  const loadAtStart = load1();
  const master = await startBenchMaster({ dir, fds: n + 1024, config: masterConfig });
  let swarm;
  try {
    swarm = startSwarm({ master, n, sourceAddresses, logFile: join(dir, 'swarm.log') });
    await swarm.waitConnected(n, 120_000);
    for (let i = 0; i < 3; i++) await ping(master, n);
    const storedBefore = await master.returnsStored();
    const meter = cpuMeter({ master: master.pid, swarm: swarm.pid });
    const t0 = performance.now();
    const deadline = t0 + seconds * 1000;
    const maxJobs = Math.ceil(seconds * 1000); // a bound, far above any rate seen
    let jobs = 0;
    let returned = 0;
    let lastJid;
    const jobMs = [];
    let endMs = t0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline && jobs < maxJobs) {
          jobs++;
          const r = await ping(master);
          returned += r.summary.returned;
          jobMs.push(r.ms);
          lastJid = r.jid;
          endMs = performance.now();
        }
      }),
    );
    const cpu = meter();
    const elapsedMs = endMs - t0;
    const storedAfter = await master.returnsStored();
    const { body } = await master.request('GET', `/api/v1/jobs/${lastJid}`);
    const readBack = body.minions.filter((m) => m.outcome === 'returned').length;
    if (readBack !== n) throw new Error(`ingest: job ${lastJid} has ${readBack}/${n} returns in the job cache`);
    return {
      n,
      load: loadAtStart,
      seconds: elapsedMs / 1000,
      concurrency,
      jobs,
      returned,
      expected: jobs * n,
      returnsPerSec: returned / (elapsedMs / 1000),
      counterDelta: storedAfter - storedBefore,
      jobMs: summarize(jobMs),
      masterCpuShare: cpu.cpuMs.master / cpu.wallMs,
      swarmCpuShare: cpu.cpuMs.swarm / cpu.wallMs,
      foreignCores: cpu.foreignCores,
    };
  } finally {
    await swarm?.stop();
    await master.stop();
  }
}
