// Real daemons: a master and M `brine-minion` daemons (the test Cluster), then the idle RSS of
// each daemon and the wall time of `brine '*' test.ping` processes; and the job cache phase,
// which fills a store in its own process and queries it directly and through a master's API.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BIN, Cluster } from '../packages/testing/dist/index.js';
import { startBenchMaster } from './brine-cluster.mjs';
import { load1, onLines, rssBytes, spawnNode, stopChild, track } from './lib/procs.mjs';
import { summarize } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The shipped minion: one esbuild bundle (scripts/bundle.mjs), when the build made it. */
const MINION_BUNDLE = join(here, '../packages/minion/dist/brine-minion.mjs');

/** The shipped CLI programs: esbuild bundles (scripts/bundle.mjs), else the unbundled build. */
const CLI_BUNDLE = join(here, '../packages/cli/dist/bundle');
const shippedCli = (name, unbundled) => {
  const file = join(CLI_BUNDLE, `${name}.mjs`);
  return existsSync(file) ? file : unbundled;
};

/** Runs `node args…` once; resolves with its wall time from spawn to exit, rejects unless `ok(code, output)`. */
function timeProcess(args, env, ok) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = track(spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (ok(code, out)) resolve(ms);
      else reject(new Error(`node ${args.join(' ')}: exit ${code}: ${out.slice(0, 2000)}`));
    });
  });
}

/** Timings of `runs` runs of `node args…` after one warm-up. */
async function timeRuns(runs, args, env, ok) {
  await timeProcess(args, env, ok);
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await timeProcess(args, env, ok));
  return summarize(times);
}

/** VmRSS of an idle bare `node` process after 2 s: the floor under any daemon's RSS. */
async function idleNodeRss() {
  const child = track(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }));
  await sleep(2000);
  const rss = rssBytes(child.pid);
  child.kill('SIGKILL');
  return rss;
}

/**
 * VmRSS of the shipped minion (the esbuild bundle the systemd unit and the container run), `idleMs`
 * after it connected to the cluster's master; the daemon is stopped afterwards.
 */
async function idleBundledDaemonRss(cluster, idleMs) {
  const id = 'bench-bundled';
  const file = join(cluster.dir, `${id}.yaml`);
  const stateDir = join(cluster.dir, 'minions', id);
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({
      master: `wss://127.0.0.1:${cluster.endpoints.minionPort}`,
      id,
      state_dir: stateDir,
      master_fingerprint: cluster.endpoints.fingerprint,
      startup_splay_ms: 0,
      log_level: 'warn',
    }),
  );
  const child = spawnNode(MINION_BUNDLE, ['--config', file], { stdio: 'ignore' });
  try {
    await cluster.waitConnected([id], 30_000);
    await sleep(idleMs);
    return rssBytes(child.pid);
  } finally {
    await stopChild(child, 'SIGTERM', 3000);
  }
}

/**
 * Starts a master and `minions` real minion daemons, waits `idleMs` after they connected and
 * reads each daemon's VmRSS (and that of the bundled daemon, when built), then times `runs` CLI `test.ping` runs after one warm-up; for
 * reference also bare `node -e ''`, `brine --help` (start-up and code loading) and the RSS of an
 * idle bare Node process.
 */
export async function runCliAndDaemons({ minions, runs, idleMs, dir }) {
  const load = load1();
  const ids = Array.from({ length: minions }, (_, i) => `bench-${i}`);
  const cluster = new Cluster({ dir, master: { log_level: 'warn' }, minion: { log_level: 'warn' } });
  try {
    await cluster.startMaster();
    track(cluster.master);
    for (const id of ids) track(cluster.startMinion(id));
    await cluster.waitConnected(ids, 60_000);
    await sleep(idleMs);
    const rss = [...cluster.minions.values()].map((c) => rssBytes(c.pid));
    const allReturned = (code, out) => code === 0 && ids.every((id) => out.includes(id));
    const brine = shippedCli('brine', BIN.brine);
    const cli = await timeRuns(runs, [brine, '*', 'test.ping'], cluster.env, allReturned);
    // What a process costs before any request: bare Node, and the CLI loading its code (--help).
    const nodeOnly = await timeRuns(Math.min(runs, 10), ['-e', ''], cluster.env, (code) => code === 0);
    const cliLoad = await timeRuns(Math.min(runs, 10), [brine, '--help'], cluster.env, (code) => code === 0);
    // `brine-call --local test.ping`: no master; the floor under every local state run.
    const localDir = join(dir, 'local-call');
    const localCall = await timeRuns(
      runs,
      [shippedCli('brine-call', BIN.brineCall), '--local', '--state-dir', localDir, 'test.ping'],
      cluster.env,
      (code) => code === 0,
    );
    const bare = await idleNodeRss();
    const bundledRss = existsSync(MINION_BUNDLE) ? await idleBundledDaemonRss(cluster, idleMs) : undefined;
    return {
      load,
      minions,
      idleMs,
      daemonRss: summarize(rss),
      bundledRss,
      cli,
      cliBin: brine,
      nodeOnly,
      cliLoad,
      localCall,
      bareNodeRss: bare,
    };
  } finally {
    await cluster.stop();
  }
}

/**
 * Fills a job cache of `rows` returns in a child process and times queries there, then starts a
 * master on that cache and times the same reads through the REST API (`samples` each).
 */
export async function runJobCache({ rows, samples, dir }) {
  const load = load1();
  const child = spawnNode(join(here, 'brine-jobcache.mjs'), [
    ...['--dir', dir, '--rows', String(rows), '--samples', String(samples)],
  ]);
  let direct;
  onLines(child.stdout, (line) => (direct = JSON.parse(line)));
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0 || !direct) throw new Error(`brine-jobcache.mjs exited ${code}: ${err.slice(-2000)}`);

  const master = await startBenchMaster({ dir });
  try {
    const timeApi = async (path) => {
      const ms = [];
      for (let i = 0; i < samples + 3; i++) {
        const t = performance.now();
        const res = await master.request('GET', path, undefined, 30_000);
        if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
        if (i >= 3) ms.push(performance.now() - t);
      }
      return summarize(ms);
    };
    const api = {
      'GET /api/v1/jobs?limit=50': await timeApi('/api/v1/jobs?limit=50'),
      [`GET /api/v1/jobs/:jid (${direct.minionsPerJob} minions)`]: await timeApi(`/api/v1/jobs/${direct.lookupJid}`),
    };
    return { load, ...direct, api };
  } finally {
    await master.stop();
  }
}
