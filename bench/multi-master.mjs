// Several masters on one PostgreSQL (issue #20), as a `pnpm bench` phase (`multimaster`) or
// standalone. Lifecycle:
// 1. a throwaway PostgreSQL cluster (packages/testing's startPostgres: initdb in a temp dir,
//    fsync on); skipped, naming the reason, where the server binaries are missing
// 2. the store alone: 20 batches of 1,000 returns, SQLite and PostgreSQL
// 3. durable ingest end to end (bench/brine-fanout.mjs runIngest: a real master, a swarm of N
//    minions, `concurrency` requesters sending test.ping back to back) with SQLite, then with
//    `store: postgres://...`. Every return the API hands out was committed first.
// 4. failover: `masters` masters on one database sharing one identity, a swarm of `minions`
//    spread evenly over them (minion i starts at master i mod m and fails over to the next);
//    kill -9 of the first master; time until the swarm has every minion connected again, then
//    until test.ping to `*` from the survivors has returned from every minion
// 5. fan-out (bench/multi-master-fanout.mjs): test.ping published on one of `masters` masters to
//    `fanoutMinions` spread over them, against one master with as many: the ratio of the times
//    to the last return (issue #20's goal: at most 1.5x at 10,000)
// 6. standalone: write the `multi-master` section of BENCHMARKS.md (or --out) and print JSON
//
// Standalone: node bench/multi-master.mjs [--minions 2000] [--masters 3] [--ingest-minions 1000]
//   [--ingest-seconds 20] [--concurrency 4] [--parts store,ingest,failover,fanout]
//   [--fanout-minions N (default: --minions)] [--fanout-rounds 5] [--swarm-per-process 2500]
//   [--profile-dir DIR (CPU profiles of the publishing and a holding master in the fan-out)]
//   [--reconnect-base MS] [--out FILE]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { postgresMissing, startPostgres } from '../packages/testing/dist/index.js';
import { openSqliteJobStore } from '../packages/master/dist/index.js';
import { openPgJobStore } from '../packages/master/dist/store/pg-job-store.js';
import { runIngest } from './brine-fanout.mjs';
import { runFanoutRatio, startMasterGroup, startSwarms } from './multi-master-fanout.mjs';
import { load1 } from './lib/procs.mjs';

const PING = { target: '*', fun: 'test.ping', timeoutMs: 30_000 };

/**
 * The store alone, no network: 20 jobs of 1,000 minions, each job's returns written in one
 * batch (one transaction, as the ingest writes them). Returns rows/s and ms per batch.
 */
function storeLevel(store) {
  const minions = Array.from({ length: 1000 }, (_, i) => `m${i}`);
  const batchMs = [];
  const t0 = Date.now() - 3_600_000;
  for (let j = 0; j < 20; j++) {
    const jid = String(20250101000000000000n + BigInt(j) + BigInt(Date.now()) * 1000n).slice(0, 20);
    store.createJob({
      jid,
      fun: 'test.ping',
      args: [],
      kwargs: {},
      target: '*',
      targetType: 'glob',
      user: 'bench',
      startedAt: t0 + j,
      minions,
    });
    const t = performance.now();
    const ok = store.writeResults(
      minions.map((id) => ({ jid, id, outcome: 'returned', success: true, retcode: 0, ret: true, durationMs: 1 })),
    );
    batchMs.push(performance.now() - t);
    if (!ok.every(Boolean)) throw new Error('store-level: a row was refused');
  }
  store.close();
  const total = batchMs.reduce((a, b) => a + b, 0);
  batchMs.sort((a, b) => a - b);
  return { rowsPerSec: Math.round((20 * 1000) / (total / 1000)), batchMsMedian: Number(batchMs[10].toFixed(1)) };
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const connectedOn = async (master) =>
  (await master.request('GET', '/api/v1/minions?connected=true')).body.minions.length;

/**
 * test.ping to `*` from each master at once; resolves when all have answered. Without routing
 * across masters each master's job returns from the minions it holds, so the returns add up to
 * `n`; with routing, any one job returns from all.
 */
async function pingFromAll(masters, n) {
  const t0 = performance.now();
  const answers = await Promise.all(
    masters.map(async (m) => {
      const res = await m.request('POST', '/api/v1/jobs?wait=true', PING, 120_000);
      if (res.status !== 200)
        throw new Error(`POST /api/v1/jobs: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      return res.body.summary.returned;
    }),
  );
  const sum = answers.reduce((a, b) => a + b, 0);
  if (sum !== n && !answers.includes(n)) throw new Error(`test.ping: returns ${answers.join('+')} of ${n}`);
  return { ms: performance.now() - t0, returned: answers };
}

/**
 * {@link pingFromAll} again until it returns from all, for up to `withinMs`: a master learns of
 * the minions other masters hold from the shared sessions, which it rereads on its lease
 * cycle, so a ping at once after they connected can find some of them not yet known there.
 */
async function pingUntilAll(masters, n, withinMs = 120_000) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await pingFromAll(masters, n);
    } catch (err) {
      if (Date.now() > deadline || !/^test\.ping: returns/.test(err.message)) throw err;
      await sleep(500);
    }
  }
}

/** Step 4: kill -9 of one of `masters` masters holding a swarm of `n`. */
async function runFailover({ url, n, masters: count, sourceAddresses, reconnectBaseMs, dir }) {
  const load = load1();
  const masters = [];
  let swarm;
  try {
    masters.push(...(await startMasterGroup({ url, count, fds: n + 1024, dir })));
    const urls = masters.map((m) => `wss://127.0.0.1:${m.endpoints.minionPort}`);
    const spawnedAt = Date.now();
    // In processes of at most 2,500 minions each: one process's file limit holds at 10,000.
    swarm = startSwarms({ master: masters[0], masterUrls: urls, n, sourceAddresses, reconnectBaseMs, dir });
    // Generous stall limit: the swarm makes every key before its first connect (slow on a loaded box).
    const allAt = await swarm.waitConnected(n, 600_000, 180_000);
    const spread = await waitUntil(
      async () => {
        const counts = await Promise.all(masters.map(connectedOn));
        return counts.reduce((a, b) => a + b, 0) === n ? counts : undefined;
      },
      60_000,
      'every master to count its minions',
    );
    const before = await pingUntilAll(masters, n);
    const [victim, ...survivors] = masters;
    const victims = spread[0];
    const killedAt = performance.now();
    const killedEpochMs = Date.now();
    victim.proc.kill('SIGKILL');
    // The swarm notices the closes first (its count drops), then reconnects them elsewhere.
    await waitUntil(() => swarm.state.connected < n, 30_000, 'the swarm to see its minions drop');
    let lowest = swarm.state.connected;
    const low = setInterval(() => (lowest = Math.min(lowest, swarm.state.connected)), 20);
    const backAt = await swarm.waitConnected(n, 600_000, 120_000);
    clearInterval(low);
    const reconnectMs = backAt - killedEpochMs;
    // The survivors count them once `welcome` is sent; then every minion answers a job.
    await waitUntil(
      async () => (await Promise.all(survivors.map(connectedOn))).reduce((a, b) => a + b, 0) === n,
      120_000,
      'the survivors to hold every minion',
    );
    const heldMs = performance.now() - killedAt;
    const after = await pingUntilAll(survivors, n);
    return {
      n,
      masters: count,
      load,
      reconnectBaseMs: reconnectBaseMs ?? 1000,
      connectMs: allAt - spawnedAt,
      spread,
      victims,
      lowestConnected: Math.min(lowest, swarm.state.connected),
      reconnectMs,
      heldMs,
      jobAfterMs: after.ms,
      totalMs: performance.now() - killedAt,
      jobBeforeMs: before.ms,
      returnedAfter: after.returned,
    };
  } finally {
    await swarm?.stop();
    for (const m of masters) await m.stop();
  }
}

/**
 * Steps 1-4. `parts` picks among `store`, `ingest` and `failover`. Resolves with
 * `{skipped}` when PostgreSQL is not installed.
 */
export async function runMultiMaster({
  parts = ['store', 'ingest', 'failover'],
  ingestMinions = 1000,
  ingestSeconds = 20,
  concurrency = 4,
  sourceAddresses = 1,
  minions = 2000,
  masters = 3,
  reconnectBaseMs,
  fanoutMinions = minions,
  fanoutRounds = 5,
  perProcess = 2500,
  profileDir,
  dir,
}) {
  const missing = postgresMissing();
  if (missing) return { skipped: missing };
  mkdirSync(dir, { recursive: true });
  const pg = await startPostgres();
  try {
    const out = { parts };
    if (parts.includes('store')) {
      out.store = {
        sqlite: storeLevel(openSqliteJobStore({ path: join(dir, 'store.sqlite') })),
        postgres: storeLevel(openPgJobStore({ url: pg.createDatabase('storelevel') })),
      };
    }
    if (parts.includes('ingest')) {
      const common = { n: ingestMinions, seconds: ingestSeconds, concurrency, sourceAddresses };
      const sqlite = await runIngest({ ...common, masterConfig: {}, dir: join(dir, 'ingest-sqlite') });
      const url = pg.createDatabase('ingest');
      const postgres = await runIngest({ ...common, masterConfig: { store: url }, dir: join(dir, 'ingest-pg') });
      const pick = (r) => ({
        returnsPerSec: Math.round(r.returnsPerSec),
        jobs: r.jobs,
        jobMsMedian: r.jobMs.median,
        jobMsP90: r.jobMs.p90,
        masterCpuShare: Number(r.masterCpuShare.toFixed(2)),
        load: r.load,
      });
      out.ingest = {
        n: ingestMinions,
        seconds: ingestSeconds,
        concurrency,
        sqlite: pick(sqlite),
        postgres: pick(postgres),
        ratio: Number((postgres.returnsPerSec / sqlite.returnsPerSec).toFixed(2)),
      };
    }
    if (parts.includes('failover')) {
      out.failover = await runFailover({
        url: pg.createDatabase('failover'),
        n: minions,
        masters,
        sourceAddresses,
        reconnectBaseMs,
        dir: join(dir, 'failover'),
      });
    }
    if (parts.includes('fanout')) {
      out.fanout = await runFanoutRatio({
        urlFor: (name) => pg.createDatabase(name),
        n: fanoutMinions,
        masters,
        rounds: fanoutRounds,
        perProcess,
        sourceAddresses,
        dir: join(dir, 'fanout'),
        profileDir,
      });
    }
    return out;
  } finally {
    pg.stop();
  }
}

const s1 = (ms) => `${(ms / 1000).toFixed(2)} s`;
const int = (x) => Math.round(x).toLocaleString('en-US');

/** The `multi-master` section of BENCHMARKS.md, between its markers. */
export function multiMasterSection(r, meta) {
  const lines = [
    '<!-- multi-master:start -->',
    '## Several masters on PostgreSQL (issue #20; `node bench/multi-master.mjs`, phase `multimaster` of `pnpm bench`)',
    '',
    `${meta.date}, ${meta.machine}, Node ${process.version}, ${meta.code}. Load: other work shares this machine; ` +
      'the 1-minute load average at the start of each part is given. PostgreSQL is a throwaway local cluster ' +
      '(fsync on) on the same two cores.',
    '',
  ];
  if (r.skipped) return [...lines, `Skipped: ${r.skipped}.`, '<!-- multi-master:end -->'].join('\n');
  if (r.store || r.ingest) lines.push('| figure | SQLite | PostgreSQL | ratio |', '| --- | ---: | ---: | ---: |');
  if (r.store) {
    const { sqlite: a, postgres: b } = r.store;
    lines.push(
      `| the store alone: 1,000-row batches, one transaction each | ${int(a.rowsPerSec)} rows/s (${a.batchMsMedian} ms a batch) | ${int(b.rowsPerSec)} rows/s (${b.batchMsMedian} ms) | ${(b.rowsPerSec / a.rowsPerSec).toFixed(2)}x |`,
    );
  }
  if (r.ingest) {
    const { sqlite: a, postgres: b } = r.ingest;
    lines.push(
      `| durable ingest, ${int(r.ingest.n)} swarm minions, ${r.ingest.concurrency} requesters, ${r.ingest.seconds} s (load ${a.load.toFixed(1)} / ${b.load.toFixed(1)}) | ${int(a.returnsPerSec)} returns/s | ${int(b.returnsPerSec)} returns/s | **${r.ingest.ratio.toFixed(2)}x** |`,
      `| job round trip under that load, median / p90 | ${int(a.jobMsMedian)} / ${int(a.jobMsP90)} ms | ${int(b.jobMsMedian)} / ${int(b.jobMsP90)} ms | |`,
      `| master CPU share (its CPU time over wall time; 1 = a whole core) | ${a.masterCpuShare} | ${b.masterCpuShare} | |`,
    );
  }
  if (r.failover) {
    const f = r.failover;
    lines.push(
      '',
      `Failover: ${int(f.n)} swarm minions (one process) spread over ${f.masters} masters on one database ` +
        `(${f.spread.map(int).join(' / ')} connected: minion i starts at master i mod ${f.masters}, and a connect ` +
        'refused or timed out moves it to the next), minion reconnect backoff base ' +
        `${f.reconnectBaseMs} ms; ` +
        `kill -9 of the master holding ${int(f.victims)} (load ${f.load.toFixed(1)} at the start).`,
      '',
      '| figure | measured |',
      '| --- | ---: |',
      `| connect all ${int(f.n)} over ${f.masters} masters, from swarm start | ${s1(f.connectMs)} |`,
      `| kill -9 to every minion connected again (the swarm's count back at ${int(f.n)}; lowest seen ${int(f.lowestConnected)}) | **${s1(f.reconnectMs)}** |`,
      `| kill -9 to the survivors' APIs listing all ${int(f.n)} connected | ${s1(f.heldMs)} |`,
      `| then test.ping to \`*\` from each survivor, every minion returned (${f.returnedAfter.map(int).join(' + ')}) | ${s1(f.jobAfterMs)} |`,
      `| **kill -9 to a job's returns from every minion** | **${s1(f.totalMs)}** |`,
      `| for comparison: the same pings before the kill, from all ${f.masters} masters | ${s1(f.jobBeforeMs)} |`,
    );
  }
  if (r.fanout) lines.push(...fanoutLines(r.fanout));
  lines.push('<!-- multi-master:end -->');
  return lines.join('\n');
}

function fanoutLines(f) {
  const row = (label, c) =>
    `| ${label} (load ${c.load.toFixed(1)}; connect ${s1(c.connectMs)}, ${c.processes} swarm process${c.processes === 1 ? '' : 'es'}) | ${int(c.jobMs.median)} ms (${int(c.jobMs.min)}-${int(c.jobMs.max)}) | ${int(c.wallMs.median)} ms |`;
  return [
    '',
    `Fan-out: test.ping to \`*\` published on one master, ${int(f.n)} swarm minions, ${f.rounds} rounds after a ` +
      "warm-up; both on PostgreSQL. The time to the last return is the job's own clock (publish to last outcome).",
    '',
    '| cluster | time to the last return, median (min-max) | API wall time, median |',
    '| --- | ---: | ---: |',
    row(`1 master holding all ${int(f.n)}`, f.one),
    row(`${f.many.masters} masters, the minions spread over them, published on the first`, f.many),
    `| **ratio (goal: at most 1.5x at 10,000)** | **${f.ratio.toFixed(2)}x** | ${f.wallRatio.toFixed(2)}x |`,
  ];
}

/** Writes `section` over its old copy in `file`, or appends it. */
export function writeSection(file, section) {
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- multi-master:start -->[\s\S]*<!-- multi-master:end -->/;
  writeFileSync(file, re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values: flags } = parseArgs({
    options: {
      minions: { type: 'string', default: '2000' },
      masters: { type: 'string', default: '3' },
      'ingest-minions': { type: 'string', default: '1000' },
      'ingest-seconds': { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '4' },
      'source-addresses': { type: 'string', default: '1' },
      'reconnect-base': { type: 'string' },
      parts: { type: 'string', default: 'store,ingest,failover,fanout' },
      'fanout-minions': { type: 'string' },
      'fanout-rounds': { type: 'string', default: '5' },
      'swarm-per-process': { type: 'string', default: '2500' },
      'profile-dir': { type: 'string' },
      out: { type: 'string', default: join(import.meta.dirname, '..', 'BENCHMARKS.md') },
      label: { type: 'string', default: 'this checkout' },
      keep: { type: 'boolean', default: false },
    },
  });
  const work = mkdtempSync(join(tmpdir(), 'brine-mm-bench-'));
  let result;
  try {
    result = await runMultiMaster({
      parts: flags.parts.split(','),
      ingestMinions: Number(flags['ingest-minions']),
      ingestSeconds: Number(flags['ingest-seconds']),
      concurrency: Number(flags.concurrency),
      sourceAddresses: Number(flags['source-addresses']),
      minions: Number(flags.minions),
      masters: Number(flags.masters),
      ...(flags['reconnect-base'] ? { reconnectBaseMs: Number(flags['reconnect-base']) } : {}),
      fanoutMinions: Number(flags['fanout-minions'] ?? flags.minions),
      fanoutRounds: Number(flags['fanout-rounds']),
      perProcess: Number(flags['swarm-per-process']),
      ...(flags['profile-dir'] ? { profileDir: flags['profile-dir'] } : {}),
      dir: work,
    });
  } catch (err) {
    console.error(`multi-master bench failed; logs in ${work}`);
    throw err;
  }
  const meta = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    code: flags.label,
  };
  writeSection(flags.out, multiMasterSection(result, meta));
  console.log(JSON.stringify(result));
  if (!flags.keep) rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
