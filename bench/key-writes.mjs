// Usage: node bench/key-writes.mjs [N]. Event-loop time (ELU active) and wall time to record N new keys: put (synchronous, the old
// path) against putNew (batched, thread pool), on fresh pki dirs under /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { randomBytes } from 'node:crypto';
import { fileKeyRecords } from '../packages/master/dist/keys/key-records.js';
const n = Number(process.argv[2] ?? 10000);
const pubs = Array.from({ length: n }, () => randomBytes(32));
async function run(mode) {
  const dir = mkdtempSync(join(tmpdir(), 'kb-'));
  const r = fileKeyRecords(dir);
  const e0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const waits = [];
  // 200 at a time, a macrotask between bursts (like handshakes arriving)
  for (let i = 0; i < n; i += 200) {
    for (let j = i; j < Math.min(n, i + 200); j++) {
      const key = { id: `bench-${j}`, state: 'accepted', pub: pubs[j] };
      if (mode === 'sync') r.put(key);
      else waits.push(r.putNew(key));
    }
    await new Promise((res) => setImmediate(res));
  }
  await Promise.all(waits);
  const e = performance.eventLoopUtilization(e0);
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return {
    mode,
    wallMs: +wall.toFixed(0),
    loopBusyMs: +e.active.toFixed(0),
    loopUsPerKey: +((e.active * 1000) / n).toFixed(1),
    cpuMs: Math.round((c.user + c.system) / 1000),
  };
}
for (const m of ['sync', 'async', 'sync', 'async', 'sync', 'async']) console.log(JSON.stringify(await run(m)));
