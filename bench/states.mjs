#!/usr/bin/env node
// Issue #17's state benchmark: an SLS of 300 states (150 file.managed, 100 file.directory, 50
// cmd.run with `creates`), written as Jinja loops with every path under a per-minion directory
// from grains['id'].
// 1. `brine-call --local state.apply`, first run and idempotent second run: time to exit
//    (salt-call --local takes 7.8 s and 6.9 s here; the goal is 10x faster).
// 2. The same SLS through a master to N swarm minions (`brine-minion swarm`), first and second
//    run: time to the last return, master RSS, and every result stored (each with 300 states,
//    none failed).
// Standalone: node bench/states.mjs [--minions 1000] [--swarm-procs K] [--dir DIR] [--skip-swarm] [--keep]
//   the swarm runs as K processes of N/K minions (default one per 125 minions);
//   prints the result as JSON and writes its section of BENCHMARKS.md (--out FILE);
//   --from-json FILE writes the section from a result printed before, without running.
// Also the `states` phase of bench/run.mjs (not in its default list).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { BIN } from '../packages/testing/dist/index.js';
import { ID_PREFIX, startBenchMaster, startSwarm } from './brine-cluster.mjs';
import { load1, settledRss } from './lib/procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const STATES = 300;
/** salt-call --local state.apply of the same SLS, measured on this box (issue #17). */
export const SALT_CALL_MS = { first: 7800, second: 6900 };

/** The benchmark SLS: 100 directories, 150 files in them, 50 commands that create a file once. */
export const BENCH_SLS = `{%- set root = salt['pillar.get']('bench_root', '/tmp/brine-bench-states') ~ '/' ~ grains['id'] %}
{%- for i in range(100) %}
dir-{{ i }}:
  file.directory:
    - name: {{ root }}/d{{ i }}
    - makedirs: True
{%- endfor %}
{%- for i in range(150) %}
file-{{ i }}:
  file.managed:
    - name: {{ root }}/d{{ i % 100 }}/f{{ i }}.conf
    - contents: "value {{ i }} on {{ grains['id'] }}"
    - require:
      - file: dir-{{ i % 100 }}
{%- endfor %}
{%- for i in range(50) %}
cmd-{{ i }}:
  cmd.run:
    - name: touch {{ root }}/d{{ i }}/done
    - creates: {{ root }}/d{{ i }}/done
    - require:
      - file: dir-{{ i }}
{%- endfor %}
`;

/** Checks one minion's return: `STATES` results, none failed; returns how many changed. */
function checkReturn(id, ret) {
  if (typeof ret !== 'object' || ret === null || Array.isArray(ret))
    throw new Error(`${id}: not a state return: ${JSON.stringify(ret).slice(0, 300)}`);
  const results = Object.values(ret);
  if (results.length !== STATES) throw new Error(`${id}: ${results.length} states, expected ${STATES}`);
  const failed = results.filter((r) => r.result !== true);
  if (failed.length > 0) throw new Error(`${id}: ${failed.length} states failed, e.g. ${JSON.stringify(failed[0])}`);
  return results.filter((r) => Object.keys(r.changes).length > 0).length;
}

/** `brine-call --local state.apply bench` once: wall ms to exit, and the changed count. */
function localRun({ srv, stateDir, root }) {
  const bundle = join(here, '../packages/cli/dist/bundle/brine-call.mjs');
  const bin = existsSync(bundle) ? bundle : BIN.brineCall;
  const args = ['--local', '--id', 'bench-local', '--state-dir', stateDir, '--file-root', srv];
  args.push('state.apply', 'bench', `pillar=${JSON.stringify({ bench_root: root })}`, '--out', 'json');
  // The CPU time too (GNU time, where installed): on a shared, loaded box the wall time mostly
  // measures the wait for a core, the CPU time what the run itself costs.
  const timed = existsSync('/usr/bin/time');
  const argv = timed ? ['-f', 'cpu %U %S', process.execPath, bin, ...args] : [bin, ...args];
  const t0 = performance.now();
  const r = spawnSync(timed ? '/usr/bin/time' : process.execPath, argv, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`brine-call exited ${r.status}: ${r.stderr}${r.stdout.slice(0, 2000)}`);
  const doc = JSON.parse(r.stdout);
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return {
    ms,
    ...(cpu ? { cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 } : {}),
    changed: checkReturn('bench-local', doc.minions['bench-local'].ret),
  };
}

/**
 * One state.apply to every swarm minion: publishes it, then polls the master's active jobs
 * (every 500 ms) until it ends, so the time is that of the job's end (its last return) within
 * half a second. No result stream: a first run takes minutes here, longer than fetch's body
 * timeout between chunks, and 1,000 returns of 300 states are about 100 MB.
 */
async function swarmRun(master, n, root) {
  const body = {
    target: `${ID_PREFIX}*`,
    fun: 'state.apply',
    args: ['bench'],
    kwargs: { pillar: { bench_root: root } },
    timeoutMs: 3_600_000,
  };
  const t0 = performance.now();
  const res = await master.request('POST', '/api/v1/jobs', body);
  if (res.status !== 202) throw new Error(`POST /api/v1/jobs: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  const { jid } = res.body;
  for (;;) {
    const active = await master.request('GET', '/api/v1/jobs/active');
    if (!active.body.jobs.some((j) => j.jid === jid)) break;
    await sleep(500);
  }
  const lastReturnMs = performance.now() - t0;
  return { jid, lastReturnMs };
}

/** Reads a job's returns back from the job cache, checks each, and counts them and their changes. */
async function storedReturns(master, jid, n) {
  const { status, body } = await master.request('GET', `/api/v1/jobs/${jid}`, undefined, 600_000);
  if (status !== 200) throw new Error(`GET /api/v1/jobs/${jid}: ${status}`);
  let stored = 0;
  let changed = 0;
  for (const m of body.minions) {
    if (m.outcome !== 'returned') throw new Error(`${m.id}: ${m.outcome} ${m.reason ?? ''}`);
    changed += checkReturn(m.id, m.ret);
    stored++;
  }
  if (stored !== n) throw new Error(`job ${jid}: ${stored}/${n} returns stored`);
  return { stored, changed };
}

/**
 * How many swarm processes carry `minions`: Node forks the whole process to start a command, so
 * one process of 1,000 minions (1.9 GB) started `cmd.run` shells at about 16 a second; 125
 * minions a process keeps each near 250 MB (bench/spawn-rate.mjs measures the difference).
 */
export const swarmProcsFor = (minions) => Math.max(1, Math.ceil(minions / 125));

/** The whole benchmark; `minions: 0` skips the swarm part. */
export async function runStates({ dir, minions = 1000, sourceAddresses = 4, swarmProcs = swarmProcsFor(minions) }) {
  const srv = join(dir, 'srv');
  mkdirSync(srv, { recursive: true });
  writeFileSync(join(srv, 'bench.sls'), BENCH_SLS);
  const out = { states: STATES, load: load1(), saltCallMs: SALT_CALL_MS };
  const local = { srv, stateDir: join(dir, 'local-state'), root: join(dir, 'local-root') };
  out.localFirst = localRun(local);
  out.localSecond = localRun(local);
  if (out.localFirst.changed !== STATES || out.localSecond.changed !== 0)
    throw new Error(`local: changed ${out.localFirst.changed} then ${out.localSecond.changed}`);
  if (minions > 0) {
    const master = await startBenchMaster({
      dir: join(dir, 'master'),
      fds: minions + 1024,
      config: { file_roots: [srv] },
    });
    const swarms = [];
    try {
      // K processes of about N/K minions each, ids bench-<k>-<i> (the master autosigns bench-*).
      for (let k = 0; k < swarmProcs; k++) {
        const n = Math.floor(minions / swarmProcs) + (k < minions % swarmProcs ? 1 : 0);
        const idPrefix = swarmProcs === 1 ? ID_PREFIX : `${ID_PREFIX}${k}-`;
        swarms.push(startSwarm({ master, n, sourceAddresses, idPrefix, logFile: join(dir, `swarm-${k}.log`) }));
        swarms.at(-1).n = n;
      }
      await Promise.all(swarms.map((s) => s.waitConnected(s.n, 300_000)));
      const root = join(dir, 'swarm-root');
      out.swarm = { minions, procs: swarmProcs, load: load1(), rssIdleBytes: await settledRss(master.pid) };
      const storedBefore = await master.returnsStored();
      const first = await swarmRun(master, minions, root);
      out.swarm.rssAfterFirstBytes = await settledRss(master.pid);
      out.swarm.swarmRssAfterFirstBytes = swarms.reduce((sum, s) => sum + s.state.rss, 0);
      const second = await swarmRun(master, minions, root);
      out.swarm.rssAfterSecondBytes = await settledRss(master.pid);
      out.swarm.countedStored = (await master.returnsStored()) - storedBefore;
      const storedFirst = await storedReturns(master, first.jid, minions);
      const storedSecond = await storedReturns(master, second.jid, minions);
      out.swarm.first = { lastReturnMs: first.lastReturnMs, ...storedFirst };
      out.swarm.second = { lastReturnMs: second.lastReturnMs, ...storedSecond };
      if (storedFirst.changed !== minions * STATES || storedSecond.changed !== 0)
        throw new Error(`swarm: changed ${storedFirst.changed} then ${storedSecond.changed}`);
    } finally {
      for (const s of swarms) s.proc.kill('SIGKILL');
      await master.stop();
    }
  }
  return out;
}

const sec = (v) => `${(v / 1000).toFixed(2)} s`;
const mib = (v) => `${Math.round(v / 2 ** 20)} MiB`;

/** The `<!-- states:start -->` section of BENCHMARKS.md for a result of {@link runStates}. */
export function statesMarkdown(r, date = new Date()) {
  const rows = [
    ['`brine-call --local state.apply`, first run (time to exit)', r.localFirst, SALT_CALL_MS.first],
    ['`brine-call --local state.apply`, second run (time to exit)', r.localSecond, SALT_CALL_MS.second],
  ].map(([what, m, salt]) => {
    const cpu = m.cpuMs === undefined ? '' : ` (CPU ${sec(m.cpuMs)})`;
    return `| ${what} | ${sec(m.ms)}${cpu} | ${sec(salt)} | ≤ ${sec(salt / 10)} | ${m.ms <= salt / 10 ? 'yes' : 'NO'} |`;
  });
  const lines = [
    '<!-- states:start -->',
    '## States (`node bench/states.mjs`, issue #17)',
    '',
    `${date.toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` +
      `1-minute load average ${r.load} at the start (the box is shared). One SLS of ${r.states} states (150 file.managed, ` +
      '100 file.directory, 50 cmd.run with creates), Jinja loops, every path under a directory per minion id.',
    '',
    '| figure | measured | salt-call | goal | met |',
    '| --- | ---: | ---: | ---: | :---: |',
    ...rows,
  ];
  if (r.swarm !== undefined) {
    const s = r.swarm;
    lines.push(
      '',
      `Through the master to ${s.minions} swarm minions (${s.procs === undefined || s.procs === 1 ? 'one `brine-minion swarm` process' : `${s.procs} \`brine-minion swarm\` processes of about ${Math.round(s.minions / s.procs)} minions`}), ` +
        `1-minute load average ${s.load ?? r.load} at its start; time to the job's end (its last return):`,
      '',
      '| run | last return | master RSS after | returns stored and checked | states changed |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| first | ${sec(s.first.lastReturnMs)} | ${mib(s.rssAfterFirstBytes)} | ${s.first.stored}/${s.minions} | ${s.first.changed} |`,
      `| second | ${sec(s.second.lastReturnMs)} | ${mib(s.rssAfterSecondBytes)} | ${s.second.stored}/${s.minions} | ${s.second.changed} |`,
      '',
      `Master RSS with the swarm connected and idle: ${mib(s.rssIdleBytes)}.` +
        (s.swarmRssAfterFirstBytes === undefined
          ? ''
          : ` Swarm RSS after the first run, all processes: ${mib(s.swarmRssAfterFirstBytes)}.`),
    );
  }
  // Notes measured outside this script (farm-bench medians, bench/spawn-rate.mjs), kept in the JSON.
  for (const note of r.notes ?? []) lines.push('', note);
  lines.push('<!-- states:end -->');
  return lines.join('\n');
}

/** Puts the section into `file`, replacing an older one. */
function writeSection(section, file) {
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- states:start -->[\s\S]*<!-- states:end -->/;
  writeFileSync(file, re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      minions: { type: 'string', default: '1000' },
      'swarm-procs': { type: 'string' },
      dir: { type: 'string' },
      'skip-swarm': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: join(here, '..', 'BENCHMARKS.md') },
      'from-json': { type: 'string' },
    },
  });
  if (values['from-json'] !== undefined) {
    writeSection(statesMarkdown(JSON.parse(readFileSync(values['from-json'], 'utf8'))), values.out);
  } else {
    const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'brine-bench-states-'));
    try {
      const minions = values['skip-swarm'] ? 0 : Number(values.minions);
      const swarmProcs = values['swarm-procs'] === undefined ? swarmProcsFor(minions) : Number(values['swarm-procs']);
      const r = await runStates({ dir, minions, swarmProcs });
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      writeSection(statesMarkdown(r), values.out);
    } finally {
      if (!values.keep) rmSync(dir, { recursive: true, force: true });
    }
  }
}
