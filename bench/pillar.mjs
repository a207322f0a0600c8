#!/usr/bin/env node
// Pillar at fleet scale, in one process (issue #16). Lifecycle:
// 1. write a pillar tree: a top.sls of glob, grain and compound matches over 20 SLS files (most
//    with Jinja over grains, one with includes)
// 2. compile the pillar of N minions (default 10,000) with the master's PillarCompiler, 50 at a time
// 3. put the compiled pillars in a MinionRegistry, as the master does after each compile
// 4. time -I (and -J, a nested -I, and a compound I@ target) over all N: compile + select
// 5. print one JSON line and write the `pillar` section of BENCHMARKS.md (--out)
// Usage: node bench/pillar.mjs [--n 10000] [--samples 30] [--out FILE] [--keep]
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { compileTarget } from '@brine/protocol';
import { MinionRegistry, PillarCompiler, PillarFiles } from '../packages/master/dist/index.js';
import { summarize } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    samples: { type: 'string', default: '30' },
    out: { type: 'string', default: join(import.meta.dirname, '..', 'BENCHMARKS.md') },
    keep: { type: 'boolean', default: false },
  },
});
const n = Number(values.n);
const samples = Number(values.samples);
const dir = mkdtempSync(join(tmpdir(), 'brine-pillar-bench-'));
const root = join(dir, 'pillar');

const write = (path, text) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

// 1. The tree: 20 SLS files.
write(
  'top.sls',
  `base:
  '*':
    - common
    - users
    - ntp
    - logging
  'web*':
    - web
    - web.nginx
    - web.tls
  'db*':
    - db
    - db.backup
  'os:Debian':
    - match: grain
    - debian
    - apt
  'os:RedHat':
    - match: grain
    - redhat
    - yum
  'dc:east':
    - match: grain
    - dc.east
  'dc:west':
    - match: grain
    - dc.west
  'role:cache':
    - match: grain
    - cache
  '*[02468]':
    - even
  '*[13579]':
    - odd
  'G@role:web and G@dc:east':
    - webeast
  'mon*':
    - monitoring
`,
);
write('common.sls', "owner: '{{ grains.id }}'\nrole: '{{ grains.role }}'\nenv: prod\n");
write(
  'users.sls',
  'users:\n{% for u in ["alice", "bob", "carol"] %}  {{ u }}: {uid: {{ loop.index + 1000 }}}\n{% endfor %}',
);
write('ntp.sls', 'ntp:\n  servers: [0.pool.ntp.org, 1.pool.ntp.org]\n');
write('logging.sls', "logging:\n  level: info\n  host: 'log.{{ grains.dc }}.example.com'\n");
write(
  'web/init.sls',
  'include:\n  - .common\napp:\n  port: 8080\n  workers: {{ 4 if grains.os == "Debian" else 2 }}\n',
);
write('web/common.sls', 'app:\n  name: shop\n');
write('web/nginx.sls', 'nginx:\n  sites: [shop, admin]\n');
write('web/tls.sls', "tls:\n  cert: '/etc/ssl/{{ grains.id }}.pem'\n");
write('db/init.sls', 'db:\n  engine: postgres\n  port: 5432\n');
write('db/backup.sls', "backup:\n  target: 's3://backups/{{ grains.id }}'\n");
write('debian.sls', 'pkg_manager: apt\n');
write('apt.sls', 'apt:\n  mirrors: [deb.debian.org]\n');
write('redhat.sls', 'pkg_manager: yum\n');
write('yum.sls', 'yum:\n  repos: [baseos, appstream]\n');
write('dc/east.sls', 'dc: {name: east, resolver: 10.0.0.2}\n');
write('dc/west.sls', 'dc: {name: west, resolver: 10.1.0.2}\n');
write('cache.sls', 'redis: {maxmemory: 2gb}\n');
write('even.sls', 'parity: even\n');
write('odd.sls', 'parity: odd\n');
write('webeast.sls', 'cdn: east-edge\n');
write('monitoring.sls', 'prometheus: {retention: 15d}\n');

const roles = ['web', 'db', 'cache', 'mon'];
const minions = Array.from({ length: n }, (_, i) => {
  const role = roles[i % roles.length];
  return {
    id: `${role}${String(i).padStart(5, '0')}`,
    grains: { role, os: i % 3 === 0 ? 'RedHat' : 'Debian', dc: i % 2 === 0 ? 'east' : 'west' },
  };
});

// 2. Compile.
const compiler = new PillarCompiler({
  files: new PillarFiles({ base: [root] }),
  external: [],
  keys: undefined,
  strategy: 'smart',
  mergeLists: false,
  targetOptions: {},
});
const registry = new MinionRegistry(() => Date.now());
for (const m of minions) registry.remember(m.id, m.grains, 0);
const t0 = performance.now();
const perMinion = [];
let failed = 0;
for (let i = 0; i < n; i += 50) {
  await Promise.all(
    minions.slice(i, i + 50).map(async (m) => {
      const t = performance.now();
      const r = await compiler.compile(m);
      perMinion.push(performance.now() - t);
      if (!r.ok) {
        failed++;
        if (failed === 1) console.error(r.error.message);
      }
      // 3. As the master's PillarService does with a compiled pillar.
      registry.setPillar(m.id, r.ok ? r.pillar : undefined);
    }),
  );
}
const compileMs = performance.now() - t0;

// 4. Targeting over compiled pillars.
function timeTarget(tgt, type) {
  const pick = () => {
    const c = compileTarget(tgt, type);
    if (!c.ok) throw new Error(c.error.message);
    return registry.select(c.match);
  };
  let selected = 0;
  for (let i = 0; i < 3; i++) selected = pick().length;
  const ms = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    pick();
    ms.push(performance.now() - t);
  }
  return { target: `${type} ${tgt}`, selected, ...summarize(ms) };
}
const targets = [
  timeTarget('role:web', 'pillar'),
  timeTarget('app:port:8080', 'pillar'),
  timeTarget('role:^(web|db)$', 'pillar_pcre'),
  timeTarget('I@role:web and I@dc:name:east and G@os:Debian', 'compound'),
];
const result = {
  n,
  sls: 20,
  failed,
  compileMs: Math.round(compileMs),
  perMinionMs: summarize(perMinion),
  minionsPerSecond: Math.round(n / (compileMs / 1000)),
  rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20),
  targets,
};
console.log(JSON.stringify(result));

// 5. The section of BENCHMARKS.md.
const fmt = (v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const section = [
  '<!-- pillar:start -->',
  '## Pillar (`node bench/pillar.mjs`)',
  '',
  `${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
    `${n} minions (grains role, os, dc), a top.sls of glob, grain and compound matches over 20 SLS files (Jinja over grains, one include); ` +
    "compiled in one process, 50 at a time, with the master's PillarCompiler; targets compiled and matched against every minion's compiled pillar in the master's registry.",
  '',
  '| figure | measured | goal | met |',
  '| --- | ---: | ---: | :---: |',
  `| compile ${n} pillars | ${(compileMs / 1000).toFixed(1)} s (${result.minionsPerSecond}/s; ${failed} failed) | — | — |`,
  ...targets.map(
    (t) =>
      `| \`${t.target.replace(/\|/g, '\\|')}\` over ${n} (${t.selected} selected), median (p90) | ${fmt(t.median)} ms (${fmt(t.p90)}) | < 50 ms | ${t.median < 50 ? 'yes' : 'NO'} |`,
  ),
  '',
  `Per-minion compile median ${fmt(result.perMinionMs.median)} ms (p90 ${fmt(result.perMinionMs.p90)}, with 50 in flight); RSS at the end ${result.rssMiB} MiB.`,
  '<!-- pillar:end -->',
].join('\n');
const old = existsSync(values.out) ? readFileSync(values.out, 'utf8') : '# Benchmarks\n';
const next = /<!-- pillar:start -->[\s\S]*<!-- pillar:end -->/.test(old)
  ? old.replace(/<!-- pillar:start -->[\s\S]*<!-- pillar:end -->/, section)
  : `${old.trimEnd()}\n\n${section}\n`;
writeFileSync(values.out, next);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
