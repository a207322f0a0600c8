// CPU profiles of a running master through the inspector protocol (the master is started with
// `--inspect=127.0.0.1:0`), so that a profile covers exactly the measured fan-out rounds; and a
// summary of a profile: top functions by self time and self time by package.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

/** Samples every this many µs (V8's default is 1,000). */
const SAMPLING_INTERVAL_US = 250;

async function inspectorUrl(logFile) {
  for (let i = 0; i < 100; i++) {
    const m = existsSync(logFile) && /Debugger listening on (ws:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'));
    if (m) return m[1];
    await sleep(50);
  }
  throw new Error(`no inspector URL in ${logFile}`);
}

/** Connects to the process whose log announced an inspector and starts the CPU profiler. */
export async function startInspectorProfile(logFile) {
  const ws = new WebSocket(await inspectorUrl(logFile), { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let next = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error.message));
    else p.resolve(m.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  await send('Profiler.start');
  return {
    /** Stops profiling, writes the .cpuprofile and returns its summary. */
    stop: async (file) => {
      const { profile } = await send('Profiler.stop');
      ws.close();
      writeFileSync(file, JSON.stringify(profile));
      return { file, ...summarizeProfile(profile) };
    },
  };
}

function packageOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /packages\/([^/]+)\//.exec(url);
  return own ? `@brine/${own[1]}` : url;
}

function shortUrl(url) {
  return url
    .replace(/^file:\/\/.*?node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '')
    .replace(/^file:\/\/.*?\/packages\//, '');
}

/**
 * Self time per function and per package of a V8 CPU profile, in ms and in % of the profiled
 * wall time (idle included, so the % of busy time is `selfMs / busyMs`).
 */
export function summarizeProfile(profile, top = 25) {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const selfById = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    selfById.set(profile.samples[i], (selfById.get(profile.samples[i]) ?? 0) + dt);
  }
  const byFunction = new Map();
  const byPackage = new Map();
  for (const node of profile.nodes) {
    const ms = selfById.get(node.id) ?? 0;
    if (!ms) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const key = url ? `${name} ${shortUrl(url)}:${lineNumber + 1}` : name;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const pkg = packageOf(url, name);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
  }
  const idleMs = byFunction.get('(idle)') ?? 0;
  const sorted = (m) =>
    [...m.entries()]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => ({ name, ms }));
  return {
    totalMs,
    busyMs: totalMs - idleMs,
    functions: sorted(byFunction).slice(0, top),
    packages: sorted(byPackage),
  };
}

// `node bench/profile.mjs file.cpuprofile`: print a summary of a saved profile.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()) && process.argv[2]) {
  const s = summarizeProfile(JSON.parse(readFileSync(process.argv[2], 'utf8')), 40);
  console.log(`profiled ${s.totalMs.toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms`);
  for (const f of s.functions)
    console.log(`${f.ms.toFixed(1).padStart(9)} ms  ${((100 * f.ms) / s.busyMs).toFixed(1).padStart(5)} %  ${f.name}`);
  console.log('\nby package:');
  for (const p of s.packages)
    console.log(`${p.ms.toFixed(1).padStart(9)} ms  ${((100 * p.ms) / s.busyMs).toFixed(1).padStart(5)} %  ${p.name}`);
}
