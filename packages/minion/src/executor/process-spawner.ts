import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn, type ChildProcess } from 'node:child_process';

/** Which pipe a chunk of output came from. */
export type OutputStream = 'stdout' | 'stderr';

/** One program to start, with everything resolved: the whole environment, ids, stdin text. */
export interface SpawnRequest {
  program: string;
  args: readonly string[];
  /** The child's whole environment. */
  env: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Written to stdin, which is then closed; stdin is `/dev/null` when absent. */
  stdin?: string;
  /**
   * The caller keeps no more than this of each pipe: a spawner may stop passing output on once
   * more than this has gone by (the helper does, rather than send 100 MB it would drop).
   */
  maxOutputBytes?: number;
}

/**
 * What a {@link ProcessSpawner} tells about one child, in this order: `failed` alone (no process
 * ran), or `spawned`, any `output`, `exited`, then `closed` once its pipes have closed.
 */
export interface SpawnEvents {
  spawned(pid: number): void;
  /** No process ran; `err.code` is the errno (`ENOENT`, `EACCES`, ...). */
  failed(err: NodeJS.ErrnoException): void;
  output(stream: OutputStream, chunk: Uint8Array): void;
  exited(code: number | null, signal: NodeJS.Signals | null): void;
  closed(): void;
}

/** A started child, as far as its starter still holds it. */
export interface SpawnedProcess {
  /** Stops reading its pipes (a background grandchild may hold them open after the exit). */
  release(): void;
}

/**
 * Starts programs detached, in a process group of their own whose id is the child's pid, so a
 * caller signals the whole group with `process.kill(-pid)` wherever the child was started from.
 * An implementation owes the order of {@link SpawnEvents} and must never throw from `spawn`.
 */
export interface ProcessSpawner {
  spawn(request: SpawnRequest, events: SpawnEvents): SpawnedProcess;
}

/** Starts each program from this process with Node's `spawn` (the daemon's way). */
export const directSpawner: ProcessSpawner = {
  spawn(request, events) {
    let child: ChildProcess;
    try {
      child = spawn(request.program, request.args, {
        detached: true,
        stdio: [request.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: request.env,
        ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
        ...(request.uid === undefined ? {} : { uid: request.uid }),
        ...(request.gid === undefined ? {} : { gid: request.gid }),
      });
    } catch (err) {
      events.failed(err as NodeJS.ErrnoException);
      return { release: () => {} };
    }
    child.on('error', (err) => {
      // Before 'spawn' this is a failure to start; after it, an error killing or piping, ignored here.
      if (child.pid === undefined) events.failed(err);
    });
    child.once('spawn', () => {
      events.spawned(child.pid!);
      child.stdout!.on('data', (chunk: Buffer) => events.output('stdout', chunk));
      child.stderr!.on('data', (chunk: Buffer) => events.output('stderr', chunk));
      if (child.stdin) {
        // The child may exit without reading its input; EPIPE is not our failure.
        child.stdin.on('error', () => {});
        child.stdin.end(request.stdin);
      }
      child.once('exit', (code, signal) => events.exited(code, signal));
      child.once('close', () => events.closed());
    });
    return {
      release: () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      },
    };
  },
};

/**
 * The spawner of the job running in the current async context: a swarm's executor runs each
 * function inside {@link withSpawner}, so every command a state or module starts (cmd.run, pkg,
 * service, cron...) goes through the swarm's helper without a new field on the public module
 * context (`@brine/extend`). Immutable: it holds no value outside a `run`.
 */
const jobSpawner = new AsyncLocalStorage<ProcessSpawner>();

/** Runs `fn` so that {@link currentSpawner} answers `spawner` in it and in everything it awaits. */
export function withSpawner<T>(spawner: ProcessSpawner | undefined, fn: () => T): T {
  return spawner === undefined ? fn() : jobSpawner.run(spawner, fn);
}

/** The spawner set by the nearest {@link withSpawner}, else {@link directSpawner}. */
export function currentSpawner(): ProcessSpawner {
  return jobSpawner.getStore() ?? directSpawner;
}
