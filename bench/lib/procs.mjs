// Child processes for the benchmarks: spawned through one place so that every one of them is
// killed at the end, on failure and on a signal; plus /proc readings (RSS, CPU time, load).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { clearTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

const children = new Set();

/** Ticks per second of /proc CPU times (USER_HZ; 100 on every Linux this runs on). */
const HZ = 100;

/** The open-file limits of this process: `{ soft, hard }` (Infinity for unlimited). */
export function fileLimits() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line
      .slice('Max open files'.length)
      .trim()
      .split(/\s+/)
      .map((v) => (v === 'unlimited' ? Infinity : Number(v)));
    return { soft, hard };
  } catch {
    return { soft: 1024, hard: 1024 };
  }
}

/**
 * Spawns `node [nodeArgs] script [args]`, tracked for cleanup. When the process needs more file
 * descriptors (`fds`) than the soft limit allows and the hard limit is higher, it is started
 * through `bash -c 'ulimit -n …; exec node …'` (exec keeps the pid, so kills and /proc reads hit
 * node itself).
 */
export function spawnNode(script, args = [], options = {}) {
  const { fds = 1024, nodeArgs = [], stdio = ['ignore', 'pipe', 'pipe'], env = process.env } = options;
  const { soft, hard } = fileLimits();
  const argv = [...nodeArgs, script, ...args];
  let child;
  if (fds > soft && hard > soft) {
    const raised = Math.min(hard, Math.max(fds, 65_536));
    child = spawn('bash', ['-c', `ulimit -n ${raised} && exec "$0" "$@"`, process.execPath, ...argv], { stdio, env });
  } else {
    child = spawn(process.execPath, argv, { stdio, env });
  }
  track(child);
  return child;
}

/** Adds a process started elsewhere (e.g. by the test Cluster) to the kill-on-exit set. */
export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Whether a child has exited. */
export function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(child, signal = 'SIGTERM', graceMs = 5000) {
  if (!child || exited(child)) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** SIGKILLs every tracked child still running (synchronous: safe in an 'exit' handler). */
export function killAll() {
  for (const child of children) {
    if (!exited(child)) child.kill('SIGKILL');
  }
}

/** Installs handlers that kill every child when this process exits, fails or is interrupted. */
export function killChildrenOnExit() {
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Resident set size of a process in bytes (VmRSS), or undefined when it is gone. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The lowest of a few RSS samples `gapMs` apart: settles allocator noise after a burst. */
export async function settledRss(pid, samples = 3, gapMs = 300) {
  let low = Infinity;
  for (let i = 0; i < samples; i++) {
    if (i) await sleep(gapMs);
    low = Math.min(low, rssBytes(pid) ?? Infinity);
  }
  return Number.isFinite(low) ? low : undefined;
}

/** CPU time (user + system) a process has used, in ms; 0 when it is gone. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11], fields[12] are utime and stime (the 14th and 15th fields of the whole line).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / HZ;
  } catch {
    return 0;
  }
}

/** Busy CPU time of the whole machine so far, in ms (all cores). */
export function machineBusyMs() {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0);
  return (busy * 1000) / HZ;
}

/**
 * Measures CPU over an interval: for each named pid its CPU ms, and the CPU that processes
 * other than these and this one used ("foreign", in cores: 1.0 = one core busy all along).
 */
export function cpuMeter(pids) {
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  const own0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const self0 = cpuMs(process.pid);
  return () => {
    const wallMs = performance.now() - t0;
    const own = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid) - own0[k]]));
    const ours = Object.values(own).reduce((a, b) => a + b, 0) + (cpuMs(process.pid) - self0);
    const foreign = Math.max(0, machineBusyMs() - busy0 - ours);
    return { wallMs, cpuMs: own, foreignCores: wallMs > 0 ? foreign / wallMs : 0 };
  };
}

/** The 1-minute load average. */
export function load1() {
  return loadavg()[0];
}

/**
 * Calls `fn` with each line a stream prints (split on newlines), until the stream ends.
 */
export function onLines(stream, fn) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line) fn(line);
    }
  });
}

/**
 * Request/response over a child's IPC channel: `call({cmd, ...})` resolves with the child's
 * reply carrying the same `id`, or rejects after `timeoutMs` or when the child exits.
 */
export function ipcClient(child) {
  let next = 0;
  const pending = new Map();
  child.on('message', (m) => {
    const p = m && pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m);
  });
  child.once('exit', (code, signal) => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`process exited (${signal ?? code}) before answering`));
    }
    pending.clear();
  });
  return (message, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`no answer to ${message.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      child.send({ ...message, id });
    });
}

/** Waits for the first IPC message matching `pred`, or rejects on exit or after `timeoutMs`. */
export function nextMessage(child, pred, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (!pred(m)) return;
      done();
      resolve(m);
    };
    const onExit = (code, signal) => {
      done();
      reject(new Error(`${what}: process exited (${signal ?? code})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Waits until the machine is quiet: until a `windowMs` window in which all processes together
 * used less than `thresholdCores` of CPU (this harness idles meanwhile, its children are gone),
 * or `maxWaitMs` has passed. Returns how long it waited and the last window's busy cores.
 */
export async function waitQuiet({ maxWaitMs, thresholdCores = 0.3, windowMs = 2000 }) {
  const t0 = performance.now();
  let busyCores = NaN;
  do {
    const busy0 = machineBusyMs();
    const w0 = performance.now();
    await sleep(windowMs);
    busyCores = (machineBusyMs() - busy0) / (performance.now() - w0);
  } while (busyCores >= thresholdCores && performance.now() - t0 < maxWaitMs);
  return { waitedMs: performance.now() - t0, busyCores };
}
