import { spawn, type ChildProcess } from 'node:child_process';
import type { OutputStream, ProcessSpawner, SpawnEvents } from './process-spawner.js';

// Issue #17: Node's spawn forks the whole parent on its main thread, so a swarm process of a few
// hundred MB starts a few dozen commands a second (bench/spawn-rate.mjs: 16-19/s from 1.9 GB,
// 160/s from 72 MB). A swarm therefore starts one small Node process, once and while it is still
// small, and asks it over an IPC channel to start each command; output and exit come back as
// messages. The child still leads its own process group, which is all that killing needs: the
// swarm signals `-pid` itself, so deadlines, kill and `runas` work as before.

/** Messages to the helper. */
type ToHelper =
  | {
      t: 'spawn';
      id: number;
      program: string;
      args: readonly string[];
      env: Readonly<Record<string, string | undefined>>;
      cwd?: string;
      uid?: number;
      gid?: number;
      stdin?: string;
      maxOutputBytes?: number;
    }
  | { t: 'release'; id: number };

/** Messages from the helper, in each child's {@link SpawnEvents} order. */
type FromHelper =
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'failed'; id: number; code: string | undefined; message: string }
  | { t: 'out'; id: number; s: 0 | 1; d: Uint8Array }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'close'; id: number };

/**
 * The helper's whole program. It runs as `node -e` source made from this function's text, so it
 * must use nothing from outside its body but `load` (CommonJS `require`) and `process`.
 */
function helperMain(load: NodeJS.Require): void {
  const cp = load('node:child_process') as typeof import('node:child_process');
  const children = new Map<number, ChildProcess>();
  const send = (m: FromHelper): void => void process.send!(m);
  // The swarm is gone: nobody is left to tell. Its commands run on, as they would have.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: ToHelper) => {
    if (m.t === 'release') {
      children.get(m.id)?.stdout?.destroy();
      children.get(m.id)?.stderr?.destroy();
      return;
    }
    const id = m.id;
    let child: ChildProcess;
    try {
      child = cp.spawn(m.program, m.args, {
        detached: true,
        stdio: [m.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: m.env,
        ...(m.cwd === undefined ? {} : { cwd: m.cwd }),
        ...(m.uid === undefined ? {} : { uid: m.uid }),
        ...(m.gid === undefined ? {} : { gid: m.gid }),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      send({ t: 'failed', id, code: e.code, message: e.message });
      return;
    }
    children.set(id, child);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      children.delete(id);
      send({ t: 'failed', id, code: err.code, message: err.message });
    });
    child.once('spawn', () => {
      send({ t: 'spawned', id, pid: child.pid! });
      // Each pipe is passed on until it has gone past the cap (so the swarm sees it was cut), then
      // read and dropped here.
      const cap = m.maxOutputBytes ?? Infinity;
      const sent: [number, number] = [0, 0];
      const pass = (s: 0 | 1) => (d: Buffer) => {
        if (sent[s] > cap) return;
        sent[s] += d.length;
        send({ t: 'out', id, s, d });
      };
      child.stdout!.on('data', pass(0));
      child.stderr!.on('data', pass(1));
      if (child.stdin) {
        child.stdin.on('error', () => {});
        child.stdin.end(m.stdin);
      }
      child.once('exit', (code, signal) => send({ t: 'exit', id, code, signal }));
      child.once('close', () => {
        children.delete(id);
        send({ t: 'close', id });
      });
    });
  });
}

/** A {@link ProcessSpawner} backed by a helper process; `close` ends the helper. */
export interface HelperSpawner extends ProcessSpawner {
  /** The helper's pid, once started. */
  helperPid(): number | undefined;
  close(): void;
}

interface Pending {
  events: SpawnEvents;
  spawned: boolean;
}

/**
 * Makes a spawner that starts every command from one small helper process. The helper starts at
 * once (call this while the process is small) and again on the next spawn if it died; a helper
 * that dies fails the commands it had not started and ends those it had with retcode 1 (the
 * commands themselves run on). The helper keeps nothing alive: its channel is referenced only
 * while commands are pending.
 */
export function createHelperSpawner(): HelperSpawner {
  let helper: ChildProcess | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const channel = () => helper?.channel as { ref(): void; unref(): void } | null | undefined;

  const onMessage = (m: FromHelper): void => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    if (m.t === 'spawned') {
      p.spawned = true;
      p.events.spawned(m.pid);
    } else if (m.t === 'out') {
      p.events.output((m.s === 0 ? 'stdout' : 'stderr') satisfies OutputStream, m.d);
    } else if (m.t === 'exit') {
      p.events.exited(m.code, m.signal);
    } else {
      drop(m.id);
      if (m.t === 'close') p.events.closed();
      else p.events.failed(Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }));
    }
  };
  const drop = (id: number): void => {
    pending.delete(id);
    if (pending.size === 0) channel()?.unref();
  };
  const start = (): ChildProcess => {
    const h = spawn(process.execPath, ['--max-old-space-size=64', '-e', `(${helperMain.toString()})(require)`], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    h.on('message', onMessage);
    h.on('error', () => {});
    h.once('exit', () => {
      if (helper === h) helper = undefined;
      for (const [id, p] of pending) {
        drop(id);
        if (!p.spawned) p.events.failed(Object.assign(new Error('the spawner helper exited'), { code: 'EHELPER' }));
        else {
          p.events.exited(null, null);
          p.events.closed();
        }
      }
    });
    h.unref();
    (h.channel as { unref(): void } | null | undefined)?.unref();
    return h;
  };
  helper = start();

  return {
    helperPid: () => helper?.pid,
    spawn(request, events) {
      const h = (helper ??= start());
      const id = nextId++;
      pending.set(id, { events, spawned: false });
      if (pending.size === 1) channel()?.ref();
      h.send({ t: 'spawn', id, ...request } satisfies ToHelper);
      return { release: () => void (helper?.connected && helper.send({ t: 'release', id } satisfies ToHelper)) };
    },
    close() {
      helper?.kill();
      helper = undefined;
    },
  };
}
