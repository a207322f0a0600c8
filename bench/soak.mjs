#!/usr/bin/env node
// Soak (issue 8, not in CI): one job per second to 1,000 minions for --minutes (60 by default),
// a random tenth of the minions killed with SIGKILL and restarted every minute, the master
// restarted every --master-every minutes (15). The minions are swarm processes that keep each
// minion's key, outbox and jid log on disk, so a restart is a restart, not a new minion.
// Checks 0 lost returns, 0 duplicate executions, and the master's memory over time; writes its
// section of BENCHMARKS.md. Usage: node bench/soak.mjs [--minutes 60] [--minions 1000]
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN } from '../packages/testing/dist/index.js';
import { startBenchMaster, ID_PREFIX } from './brine-cluster.mjs';
import { killChildrenOnExit, rssBytes, spawnNode, stopChild } from './lib/procs.mjs';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    minions: { type: 'string', default: '1000' },
    groups: { type: 'string', default: '10' },
    'master-every': { type: 'string', default: '15' },
    out: { type: 'string', default: join(import.meta.dirname, '..', 'BENCHMARKS.md') },
    keep: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const groups = Number(values.groups);
const perGroup = Math.ceil(Number(values.minions) / groups);
const masterEveryMs = Number(values['master-every']) * 60_000;
killChildrenOnExit();
const dir = mkdtempSync(join(tmpdir(), 'brine-soak-'));
console.error(`soak: ${groups * perGroup} minions for ${minutes} min in ${dir}`);

let master = await startBenchMaster({ dir, fds: 8192, config: { heartbeat_ms: 5000, restart_recovery_ms: 30_000 } });
const ports = {
  port: master.endpoints.minionPort,
  api: { host: '127.0.0.1', port: Number(new URL(master.endpoints.api).port) },
};
const swarms = [];
const startGroup = (g) => {
  const log = openSync(join(dir, `group-${g}.log`), 'a');
  swarms[g] = spawnNode(
    BIN.minion,
    [
      'swarm',
      '--count',
      String(perGroup),
      '--id-prefix',
      `${ID_PREFIX}g${g}-`,
      '--master',
      `wss://127.0.0.1:${ports.port}`,
      '--master-fingerprint',
      master.endpoints.fingerprint,
      '--state-dir',
      join(dir, 'minions'),
      '--log-level',
      'info',
      '--splay',
      '2000',
      '--reconnect-base',
      '500',
      '--reconnect-cap',
      '5000',
      '--status-every',
      '60000',
    ],
    { fds: perGroup + 512, stdio: ['ignore', log, log] },
  );
};
mkdirSync(join(dir, 'minions'), { recursive: true });
for (let g = 0; g < groups; g++) startGroup(g);
await sleep(15_000);

const jids = [];
const rss = [];
const events = [];
const endAt = Date.now() + minutes * 60_000;
let nextMinute = Date.now() + 60_000;
let nextMaster = Date.now() + masterEveryMs;
let seq = 0;
let failedPosts = 0;
while (Date.now() < endAt) {
  const tick = Date.now();
  try {
    const res = await master.request(
      'POST',
      '/api/v1/jobs',
      { target: '*', fun: 'test.echo', args: [`soak-${seq++}`], timeoutMs: 30_000 },
      5000,
    );
    if (res.status === 202) jids.push(res.body.jid);
    else failedPosts++;
  } catch {
    failedPosts++;
  }
  if (Date.now() >= nextMinute) {
    nextMinute += 60_000;
    rss.push({
      minute: Math.round((Date.now() - (endAt - minutes * 60_000)) / 60_000),
      mib: Math.round((rssBytes(master.pid) ?? 0) / 2 ** 20),
    });
    const g = Math.floor(Math.random() * groups);
    swarms[g].kill('SIGKILL');
    await new Promise((r) => swarms[g].once('exit', r));
    startGroup(g);
    events.push(`minute ${rss.at(-1).minute}: killed and restarted group ${g} (${perGroup} minions)`);
  }
  if (Date.now() >= nextMaster) {
    nextMaster += masterEveryMs;
    await master.stop();
    master = await startBenchMaster({
      dir,
      fds: 8192,
      config: { heartbeat_ms: 5000, restart_recovery_ms: 30_000, ...ports },
    });
    events.push(`restarted the master`);
  }
  await sleep(Math.max(0, 1000 - (Date.now() - tick)));
}
console.error(`soak: ${jids.length} jobs published; letting everything settle`);
await sleep(60_000);

// Every run a minion logged (`job finished`) against the job cache; and no (jid, minion, attempt) accepted twice.
const accepted = new Map();
const finished = new Map();
for (const name of readdirSync(dir).filter((f) => f.startsWith('group-'))) {
  const lines = createInterface({ input: createReadStream(join(dir, name)) });
  for await (const line of lines) {
    if (!line.includes('"job ')) continue;
    const rec = JSON.parse(line);
    const key = `${rec.jid}/${rec.minionId}/${rec.attempt}`;
    if (rec.msg === 'job accepted') accepted.set(key, (accepted.get(key) ?? 0) + 1);
    if (rec.msg === 'job finished' && rec.outcome === 'returned') finished.set(`${rec.jid}/${rec.minionId}`, true);
  }
}
const duplicates = [...accepted.values()].filter((c) => c > 1).length;
let lost = 0;
let stored = 0;
const byJid = new Map();
for (const key of finished.keys()) {
  const [jid, id] = key.split('/');
  (byJid.get(jid) ?? byJid.set(jid, []).get(jid)).push(id);
}
for (const [jid, ids] of byJid) {
  const { body } = await master.request('GET', `/api/v1/jobs/${jid}`);
  const returned = new Set((body.minions ?? []).filter((m) => m.outcome === 'returned').map((m) => m.id));
  stored += returned.size;
  lost += ids.filter((id) => !returned.has(id)).length;
}
await master.stop();
for (const s of swarms) await stopChild(s, 'SIGTERM', 3000);
const result = {
  minutes,
  minions: groups * perGroup,
  jobs: jids.length,
  failedPosts,
  runs: finished.size,
  lost,
  duplicates,
  stored,
  rss,
};
console.log(JSON.stringify(result));

const quarter = rss[Math.floor(rss.length / 4)]?.mib;
const last = rss.at(-1)?.mib;
const section = [
  '<!-- soak:start -->',
  '## Soak (`node bench/soak.mjs`)',
  '',
  `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
    `${minutes} min, one job per second to ${result.minions} minions (${groups} swarm processes with on-disk outboxes and jid logs), ` +
    `one process (${perGroup} minions) killed with SIGKILL and restarted every minute, the master restarted every ${values['master-every']} min.`,
  '',
  '| figure | measured | goal | met |',
  '| --- | ---: | ---: | :---: |',
  `| returns produced by minions, stored | ${stored} of ${result.runs} | all | ${lost === 0 ? 'yes' : 'NO'} |`,
  `| lost returns | ${lost} | 0 | ${lost === 0 ? 'yes' : 'NO'} |`,
  `| duplicate executions | ${duplicates} | 0 | ${duplicates === 0 ? 'yes' : 'NO'} |`,
  `| master RSS, a quarter in → end | ${quarter} → ${last} MiB | flat | ${last <= quarter * 1.25 ? 'yes' : 'NO'} |`,
  '',
  `Jobs published: ${result.jobs} (${failedPosts} requests failed while the master was restarting). ` +
    `Master RSS by minute: ${rss.map((r) => r.mib).join(', ')} MiB.`,
  '<!-- soak:end -->',
].join('\n');
const old = existsSync(values.out) ? readFileSync(values.out, 'utf8') : '# Benchmarks\n';
const next = /<!-- soak:start -->[\s\S]*<!-- soak:end -->/.test(old)
  ? old.replace(/<!-- soak:start -->[\s\S]*<!-- soak:end -->/, section)
  : `${old.trimEnd()}\n\n${section}\n`;
writeFileSync(values.out, next);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
process.exit(lost === 0 && duplicates === 0 ? 0 : 1);
