// A real Brine master (packages/master/dist) and a `brine-minion swarm` process for the
// benchmarks, each its own process with its own file-descriptor budget.
/* global fetch, AbortSignal */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BIN } from '../packages/testing/dist/index.js';
import { exited, onLines, spawnNode, stopChild } from './lib/procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The swarm's minion ids start with this; the master autosigns exactly these. */
export const ID_PREFIX = 'bench-';

async function waitUntil(check, timeoutMs, what, child) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (child && exited(child)) throw new Error(`${what}: process exited (${child.signalCode ?? child.exitCode})`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Starts a master with a fresh (or given) state dir under `dir`: loopback only, autosign
 * `bench-*`, handshake rate limit raised, log level warn; `config` keys override. Resolves once
 * its API answers.
 */
export async function startBenchMaster({ dir, fds = 1024, nodeArgs = [], config = {} }) {
  mkdirSync(dir, { recursive: true });
  const stateDir = join(dir, 'master');
  const file = join(dir, 'master.yaml');
  // JSON is valid YAML.
  writeFileSync(
    file,
    JSON.stringify({
      interface: '127.0.0.1',
      port: 0,
      api: { host: '127.0.0.1', port: 0 },
      state_dir: stateDir,
      autosign: { ids: [`${ID_PREFIX}*`] },
      // The rate limit is raised out of the way; the cap on handshakes in progress stays at its
      // default (2,000): with no cap, 5,000-10,000 simultaneous handshakes ran into the 10 s auth
      // timeout on this 2-core box and no minion got through.
      handshake_rate: 20_000,
      handshake_burst: 2000,
      log_level: 'warn',
      ...config,
    }),
  );
  const endpointsFile = join(stateDir, 'endpoints.json');
  rmSync(endpointsFile, { force: true });
  const logFile = join(dir, 'master.log');
  const logFd = openSync(logFile, 'a');
  const proc = spawnNode(BIN.master, ['--config', file], {
    fds,
    nodeArgs,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, BRINE_LOG_FORMAT: 'json' },
  });
  closeSync(logFd);
  await waitUntil(() => existsSync(endpointsFile), 60_000, `master endpoints (see ${logFile})`, proc);
  const endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8'));
  const { token } = JSON.parse(readFileSync(join(stateDir, 'cli.json'), 'utf8'));

  /** Calls the REST API with the admin token; rejects after `timeoutMs`. */
  const request = async (method, path, body, timeoutMs = 120_000) => {
    const res = await fetch(endpoints.api + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: type.includes('json') && text ? JSON.parse(text) : text };
  };

  return {
    proc,
    pid: proc.pid,
    dir,
    logFile,
    endpoints,
    token,
    request,
    /** The brine_returns_stored_total counter from /metrics. */
    returnsStored: async () => {
      const { body } = await request('GET', '/metrics');
      return Number(/^brine_returns_stored_total (\d+)/m.exec(body)?.[1] ?? NaN);
    },
    stop: () => stopChild(proc, 'SIGTERM', 5000),
  };
}

/**
 * Starts `brine-minion swarm` with `n` minions (ids `idPrefix` + index, `bench-0…` by default;
 * the master autosigns `bench-*`) against `master`, with the connect probe preloaded; with
 * `masterUrls` (several masters sharing one identity, the fingerprint taken from `master`),
 * spread evenly over them, each failing over to the next. `connected()` is the last count the
 * swarm printed; `waitConnected` resolves with the epoch ms at which the swarm first reported
 * all `n` connected.
 */
export function startSwarm({
  master,
  masterUrls,
  n,
  sourceAddresses,
  splayMs = 0,
  statusEveryMs = 50,
  reconnectBaseMs,
  logFile,
  nodeArgs = [],
  idPrefix = ID_PREFIX,
}) {
  const proc = spawnNode(
    BIN.minion,
    [
      'swarm',
      ...['--count', String(n), '--id-prefix', idPrefix],
      ...['--master', (masterUrls ?? [`wss://127.0.0.1:${master.endpoints.minionPort}`]).join(',')],
      ...['--master-fingerprint', master.endpoints.fingerprint],
      ...(reconnectBaseMs ? ['--reconnect-base', String(reconnectBaseMs)] : []),
      ...['--source-addresses', String(sourceAddresses), '--splay', String(splayMs)],
      ...['--status-every', String(statusEveryMs), '--log-level', 'warn'],
    ],
    { fds: n + 1024, nodeArgs: [...nodeArgs, '--import', join(here, 'swarm-probe.mjs')] },
  );
  const state = { connected: 0, rss: 0, firstConnectAt: undefined, progressAt: Date.now() };
  const waiters = [];
  onLines(proc.stdout, (line) => {
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      m = {};
    }
    if (typeof m.connected !== 'number' && !m.firstConnectAt) writeFileSync(logFile, line + '\n', { flag: 'a' });
    if (m.firstConnectAt) state.firstConnectAt = m.firstConnectAt;
    if (typeof m.connected === 'number') {
      if (m.connected > state.connected) state.progressAt = Date.now();
      state.connected = m.connected;
      state.rss = m.rss;
      for (const w of [...waiters]) if (m.connected >= w.n) w.resolve(Date.now());
    }
  });
  proc.stderr.on('data', (c) => writeFileSync(logFile, c, { flag: 'a' }));
  return {
    proc,
    pid: proc.pid,
    state,
    /** Resolves when `count` are connected; rejects after `timeoutMs`, or when no new minion connected for `stallMs`. */
    waitConnected: (count, timeoutMs, stallMs = 30_000) =>
      new Promise((resolve, reject) => {
        const w = { n: count, resolve: (at) => done(() => resolve(at)) };
        const startedAt = Date.now();
        const timer = setInterval(() => {
          const now = Date.now();
          if (now - startedAt < timeoutMs && now - Math.max(state.progressAt, startedAt) < stallMs) return;
          done(() => reject(new Error(`swarm: ${state.connected}/${count} connected after ${now - startedAt} ms`)));
        }, 250);
        const onExit = (code, sig) => done(() => reject(new Error(`swarm exited (${sig ?? code})`)));
        const done = (then) => {
          clearInterval(timer);
          waiters.splice(waiters.indexOf(w), 1);
          proc.off('exit', onExit);
          then();
        };
        waiters.push(w);
        proc.once('exit', onExit);
        if (state.connected >= count) w.resolve(Date.now());
      }),
    stop: () => stopChild(proc, 'SIGKILL'),
  };
}
