#!/usr/bin/env node
// The benchmark harness (`pnpm bench`). Lifecycle:
// 1. read flags; note the machine, Node, limits and the code being measured
// 2. for each N: the transport floor over TLS, the plain-ws floor, then Brine's fan-out (a
//    fresh master and a swarm of N minions): round trips, memory per connection, connect time
// 3. sustained return ingest into the job cache with 1,000 minions
// 4. real minion daemons: idle RSS, and `brine '*' test.ping` process wall time
// 5. the job cache with 1,000,000 stored returns: list and lookup, direct and through the API
// 5b. several masters on a throwaway PostgreSQL (bench/multi-master.mjs): the store alone,
//    durable ingest SQLite vs PostgreSQL, and failover (kill -9 of one of 3 masters holding
//    a swarm spread over them: time until all its minions are back and a job returns from all)
// 6. write BENCHMARKS.md (or --out) with the multi-master section in its markers, print the goals table; every child process is killed on
//    the way out, also on failure and on SIGINT/SIGTERM
//
// Flags: --quick (N=100,500, fewer rounds, 30 s ingest to 500 minions, 100k-return job cache:
//   for CI smoke)
//   --n 1000,5000  --rounds R  --floor-rounds R  --warmup W  --ingest-seconds S
//   --ingest-concurrency C  --ingest-minions M  --cli-runs R  --cli-minions M
//   --jobcache-rows R  --idle-ms MS  --source-addresses K  --splay MS
//   --phases floor,brine,ingest,cli,jobcache,multimaster (and states, issue #17's 300-state SLS
//   locally and to --states-minions swarm minions, which is not in the default list)
//   --mm-minions N (multimaster failover: N swarm minions over --mm-masters masters, default
//   10000, 500 in quick mode)  --mm-fanout-minions N (the fan-out ratio: test.ping on one of the
//   masters against one master with as many; default --mm-minions)  --mm-fanout-rounds R
//   --mm-masters M  --mm-ingest-seconds S  --mm-parts store,ingest,failover,fanout (multimaster needs PostgreSQL's server binaries; without them the
//   phase is skipped and its section says why)
//   --profile (an extra Brine run at the largest N with the master CPU-profiled: connect, rounds)
//   --master-config JSON (master config keys merged over the benchmark's, e.g. admission limits)
//   --quiet-wait-s S (before each phase, wait up to S s for a 2 s window with < 0.3 cores busy
//   machine-wide; default 120, 0 in quick mode)
//   --out FILE  --json FILE  --label TEXT  --keep (keep the temp dir)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCliAndDaemons, runJobCache } from './brine-cli.mjs';
import { runBrineFanout, runIngest } from './brine-fanout.mjs';
import { runFloor } from './floor.mjs';
import { multiMasterSection, runMultiMaster, writeSection } from './multi-master.mjs';
import { runStates } from './states.mjs';
import { fileLimits, killAll, killChildrenOnExit, load1, waitQuiet } from './lib/procs.mjs';
import { goalRows, renderReport } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    n: { type: 'string' },
    rounds: { type: 'string' },
    'floor-rounds': { type: 'string' },
    warmup: { type: 'string' },
    'ingest-seconds': { type: 'string' },
    'ingest-concurrency': { type: 'string', default: '4' },
    'ingest-minions': { type: 'string' },
    'cli-runs': { type: 'string' },
    'cli-minions': { type: 'string', default: '10' },
    'jobcache-rows': { type: 'string' },
    'idle-ms': { type: 'string' },
    'source-addresses': { type: 'string', default: '4' },
    splay: { type: 'string', default: '0' },
    phases: { type: 'string', default: 'floor,brine,ingest,cli,jobcache,multimaster' },
    'mm-minions': { type: 'string' },
    'mm-masters': { type: 'string', default: '3' },
    'mm-ingest-seconds': { type: 'string' },
    'mm-parts': { type: 'string', default: 'store,ingest,failover,fanout' },
    'mm-fanout-minions': { type: 'string' },
    'mm-fanout-rounds': { type: 'string' },
    'states-minions': { type: 'string', default: '1000' },
    'master-config': { type: 'string', default: '{}' },
    profile: { type: 'boolean', default: false },
    'quiet-wait-s': { type: 'string' },
    out: { type: 'string', default: join(root, 'BENCHMARKS.md') },
    json: { type: 'string' },
    label: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const quick = flags.quick;
const num = (v, full, fast) => Number(v ?? (quick ? fast : full));
const config = {
  ns: (flags.n ?? (quick ? '100,500' : '1000,5000,10000')).split(',').map(Number),
  warmup: num(flags.warmup, 3, 1),
  rounds: num(flags.rounds, 10, 3),
  floorRounds: num(flags['floor-rounds'] ?? (flags.rounds ? Number(flags.rounds) * 2 : undefined), 20, 6),
  ingestSeconds: num(flags['ingest-seconds'], 60, 30),
  ingestConcurrency: Number(flags['ingest-concurrency']),
  ingestMinions: num(flags['ingest-minions'], 1000, 500),
  cliRuns: num(flags['cli-runs'], 20, 5),
  cliMinions: Number(flags['cli-minions']),
  jobcacheRows: num(flags['jobcache-rows'], 1_000_000, 100_000),
  mmMinions: num(flags['mm-minions'], 10_000, 500),
  mmMasters: Number(flags['mm-masters']),
  mmIngestSeconds: num(flags['mm-ingest-seconds'], 30, 10),
  mmParts: flags['mm-parts'].split(','),
  mmFanoutRounds: num(flags['mm-fanout-rounds'], 5, 3),
  idleMs: num(flags['idle-ms'], 5000, 3000),
  sourceAddresses: Number(flags['source-addresses']),
  splayMs: Number(flags.splay),
  phases: new Set(flags.phases.split(',')),
  quietWaitMs: num(flags['quiet-wait-s'], 120, 0) * 1000,
  masterConfig: JSON.parse(flags['master-config']),
};

function version(pkgDir) {
  try {
    return JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function codeLabel() {
  if (flags.label) return flags.label;
  try {
    const git = (...args) =>
      execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' with uncommitted changes' : '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

const log = (m) => process.stderr.write(`[bench] ${m}\n`);

/**
 * Appends to `text` the sections other benchmark scripts keep in the existing report between
 * `<!-- name:start -->` and `<!-- name:end -->` (bench/storm.mjs does), so a rerun keeps them.
 */
function withKeptSections(text, file) {
  let old = '';
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    return text;
  }
  const kept = old.match(/<!-- ([\w-]+):start -->[\s\S]*?<!-- \1:end -->/g) ?? [];
  return kept.length ? `${text.trimEnd()}\n\n${kept.join('\n\n')}\n` : text;
}

const results = {
  meta: {
    date: new Date().toISOString(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramBytes: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    ws: version(join(here, 'node_modules/ws')),
    msgpackr: version(join(here, 'node_modules/msgpackr')),
    fileLimits: fileLimits(),
    code: codeLabel(),
    quick,
    argv: process.argv.slice(2),
  },
  config: { ...config, phases: [...config.phases] },
  phases: [],
  fanout: [],
};

/** Brine's fan-out phase for `n` minions (optionally CPU-profiling the master). */
function brineFanout(n, rounds, dirName, profileFile) {
  return runBrineFanout({
    n,
    warmup: config.warmup,
    rounds,
    sourceAddresses: config.sourceAddresses,
    splayMs: config.splayMs,
    masterConfig: config.masterConfig,
    dir: join(work, dirName),
    ...(profileFile ? { profileFile } : {}),
  });
}

/** Runs one phase, recording the load at its start, its duration and any failure. */
async function phase(name, fn) {
  const entry = { name, load1: load1(), ms: 0 };
  results.phases.push(entry);
  if (config.quietWaitMs > 0) {
    const quiet = await waitQuiet({ maxWaitMs: config.quietWaitMs });
    Object.assign(entry, { load1: load1(), waitedMs: quiet.waitedMs, busyCoresAtStart: quiet.busyCores });
  }
  log(
    `${name} (load1 ${entry.load1.toFixed(2)}${entry.waitedMs ? `, waited ${(entry.waitedMs / 1000).toFixed(0)} s for quiet` : ''})`,
  );
  const t0 = performance.now();
  try {
    return await fn();
  } catch (err) {
    entry.error = err.message.split('\n')[0].slice(0, 300);
    log(`${name} FAILED: ${err.stack}`);
    return { error: entry.error };
  } finally {
    entry.ms = performance.now() - t0;
    killAll(); // nothing a phase started outlives it
  }
}

killChildrenOnExit();
for (const bin of ['master/dist/bin/brine-master.js', 'minion/dist/index.js', 'cli/dist/bin/brine.js']) {
  try {
    readFileSync(join(root, 'packages', bin));
  } catch {
    log(`packages/${bin} is missing: build first (pnpm build, or run through pnpm bench)`);
    process.exit(1);
  }
}
const work = mkdtempSync(join(tmpdir(), 'brine-bench-'));
log(`work dir ${work}; ${results.meta.cpuModel} x${results.meta.cores}; load1 ${load1().toFixed(2)}`);
try {
  const largest = Math.max(...config.ns);
  for (const n of config.ns) {
    if (!config.phases.has('floor') && !config.phases.has('brine')) break;
    const rounds = { warmup: config.warmup, rounds: config.floorRounds, sourceAddresses: config.sourceAddresses };
    const row = { n };
    results.fanout.push(row);
    if (config.phases.has('floor')) {
      row.floorTls = await phase(`floor wss N=${n}`, () => runFloor({ n, tls: true, ...rounds }));
      row.floorWs = await phase(`floor ws N=${n}`, () => runFloor({ n, tls: false, ...rounds }));
    }
    if (config.phases.has('brine')) {
      row.brine = await phase(`Brine fan-out N=${n}`, () => brineFanout(n, config.rounds, `fanout-${n}`));
    }
  }
  if (flags.profile) {
    // A run of its own, so that the profiler's overhead stays out of the figures above.
    const profileFile = join(tmpdir(), `brine-master-fanout-${largest}-${Date.now()}.cpuprofile`);
    const r = await phase(`profile Brine N=${largest}`, () =>
      brineFanout(largest, Math.min(config.rounds, 5), 'profile', profileFile),
    );
    if (r.profile) results.profile = { n: largest, rttWhileProfiled: r.rtt, ...r.profile };
  }
  if (config.phases.has('ingest')) {
    results.ingest = await phase(`ingest ${config.ingestMinions} minions`, () =>
      runIngest({
        n: config.ingestMinions,
        seconds: config.ingestSeconds,
        concurrency: config.ingestConcurrency,
        sourceAddresses: config.sourceAddresses,
        masterConfig: config.masterConfig,
        dir: join(work, 'ingest'),
      }),
    );
  }
  if (config.phases.has('cli')) {
    results.cli = await phase(`CLI + daemons (${config.cliMinions})`, () =>
      runCliAndDaemons({
        minions: config.cliMinions,
        runs: config.cliRuns,
        idleMs: config.idleMs,
        dir: join(work, 'cli'),
      }),
    );
  }
  if (config.phases.has('states')) {
    results.states = await phase(`states: 300 states locally and to ${flags['states-minions']} swarm minions`, () =>
      runStates({
        dir: join(work, 'states'),
        minions: Number(flags['states-minions']),
        sourceAddresses: config.sourceAddresses,
      }),
    );
  }
  if (config.phases.has('jobcache')) {
    results.jobcache = await phase(`job cache ${config.jobcacheRows} returns`, () =>
      runJobCache({ rows: config.jobcacheRows, samples: quick ? 10 : 30, dir: join(work, 'jobcache') }),
    );
  }
  if (config.phases.has('multimaster')) {
    results.multimaster = await phase(
      `multi-master: ${config.mmMinions} minions over ${config.mmMasters} masters`,
      () =>
        runMultiMaster({
          parts: config.mmParts,
          ingestMinions: config.ingestMinions,
          ingestSeconds: config.mmIngestSeconds,
          concurrency: config.ingestConcurrency,
          sourceAddresses: config.sourceAddresses,
          minions: config.mmMinions,
          masters: config.mmMasters,
          fanoutMinions: Number(flags['mm-fanout-minions'] ?? config.mmMinions),
          fanoutRounds: config.mmFanoutRounds,
          dir: join(work, 'multimaster'),
        }),
    );
  }
} finally {
  killAll();
  writeFileSync(flags.out, withKeptSections(renderReport(results), flags.out));
  if (results.multimaster && !results.multimaster.error) {
    const meta = {
      date: results.meta.date.slice(0, 16).replace('T', ' ') + ' UTC',
      machine: `${results.meta.cpuModel} × ${results.meta.cores}, ${Math.round(results.meta.ramBytes / 2 ** 30)} GiB`,
      code: results.meta.code,
    };
    writeSection(flags.out, multiMasterSection(results.multimaster, meta));
  }
  if (flags.json) writeFileSync(flags.json, JSON.stringify(results, null, 2) + '\n');
  if (!flags.keep) rmSync(work, { recursive: true, force: true });
  else log(`kept ${work}`);
}

log(`wrote ${flags.out}`);
for (const g of goalRows(results)) {
  const mark = g.met === undefined ? 'n/a   ' : g.met ? 'met   ' : 'MISSED';
  process.stdout.write(`${mark} ${g.figure}: ${g.measured} (goal ${g.goal})\n`);
}
if (results.profile) {
  process.stdout.write(`master profiles: ${results.profile.fanout.file} ${results.profile.connect?.file ?? ''}\n`);
}
process.exitCode = results.phases.some((p) => p.error) ? 1 : 0;
