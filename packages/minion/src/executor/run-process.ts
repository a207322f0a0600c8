import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { CancelledError, SpawnFailedError } from '../errors.js';
import { currentSpawner, type OutputStream, type ProcessSpawner, type SpawnRequest } from './process-spawner.js';

export type { OutputStream } from './process-spawner.js';

/** What to run and how; see {@link runProcess}. */
export interface ProcessOptions {
  /** `argv[0]` is the program (a path or a name looked up on PATH); never run through a shell. */
  argv: readonly string[];
  /** Working directory. @default the minion's own cwd */
  cwd?: string;
  /** Variables set for the child, merged over `process.env` unless `clearEnv`. */
  env?: Readonly<Record<string, string>>;
  /** Start from an empty environment instead of `process.env`. @default false */
  clearEnv?: boolean;
  /** Written to the child's stdin, which is then closed. @default stdin is `/dev/null` */
  stdin?: string;
  /** Run as this user id (the minion must be root). */
  uid?: number;
  /** Run with this group id; supplementary groups are dropped by libuv when uid or gid is set. */
  gid?: number;
  /** Kill the process group after this long; Infinity or more than 2^31-1 ms means none. @default no timeout */
  timeoutMs?: number;
  /** Kill the process group when this aborts. */
  signal?: AbortSignal;
  /** Largest stdout and largest stderr kept, each in bytes; the rest is read and dropped. */
  maxOutputBytes: number;
  /** Live output, whole lines at a time (a partial line waits for its newline or the end). */
  onOutput?: (stream: OutputStream, chunk: string) => void;
  /** Wait between SIGTERM and SIGKILL to the group. @default 2000 */
  killGraceMs?: number;
  /** What starts the process. @default the job's spawner ({@link currentSpawner}): direct, or a swarm's helper */
  spawner?: ProcessSpawner;
}

/** How a process ended and what it printed. */
export interface ProcessResult {
  stdout: string;
  stderr: string;
  /** The exit code, or 128 + the signal number when a signal ended it (as shells report it). */
  retcode: number;
  pid: number;
  /** True when stdout or stderr went past `maxOutputBytes` and was cut. */
  truncated: boolean;
  timedOut: boolean;
  cancelled: boolean;
  /** The signal that ended the process, e.g. `SIGTERM`. */
  signal?: string;
}

/** Longest partial line held back from `onOutput` before it is passed on anyway. */
const MAX_HELD_LINE = 64 * 1024;
/** How long to wait for the pipes to close after the process exits (a background child may hold them). */
const DRAIN_AFTER_EXIT_MS = 2000;
/** Longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs a program in its own process group and resolves with its result once it has exited.
 * On timeout or abort the whole group gets SIGTERM, then SIGKILL after `killGraceMs`, so
 * grandchildren die too. Output past `maxOutputBytes` per stream is drained and dropped. When the
 * program exits normally but a background child it started still holds the pipes, the result comes
 * 2 s later without that child's later output, and the child is left running (it may be a daemon).
 *
 * Rejects only when no process ran: {@link SpawnFailedError} (program not found, bad cwd, no
 * permission) or {@link CancelledError} (signal already aborted). Once a process exists the promise
 * always resolves, whatever its exit code.
 */
export function runProcess(options: ProcessOptions): Promise<ProcessResult> {
  const [program, ...args] = options.argv;
  if (program === undefined || program === '') {
    return Promise.reject(new SpawnFailedError('cannot run an empty command'));
  }
  if (options.signal?.aborted) return Promise.reject(new CancelledError());
  const spawner = options.spawner ?? currentSpawner();
  return new Promise((resolve, reject) => {
    const request: SpawnRequest = {
      program,
      args,
      env: options.clearEnv ? { ...options.env } : { ...process.env, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      maxOutputBytes: options.maxOutputBytes,
    };
    let run: Supervision | undefined;
    const child = spawner.spawn(request, {
      spawned: (pid) => void (run = new Supervision(pid, options, () => child.release(), resolve)),
      failed: (err) => reject(spawnError(err, program, options.cwd)),
      output: (stream, chunk) => run?.output(stream, chunk),
      exited: (code, signal) => run?.exited(code, signal),
      closed: () => run?.settle(),
    });
  });
}

/** One started process: its output, its deadline and abort, and the result once it has ended. */
class Supervision {
  private readonly out: Capture;
  private readonly err: Capture;
  private timedOut = false;
  private cancelled = false;
  private terminating = false;
  private settled = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly timeoutTimer: NodeJS.Timeout | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly onAbort = (): void => {
    // After the exit only leftovers holding the pipes remain: kill them, but the run was not cancelled.
    if (this.exit === undefined) this.cancelled = true;
    this.terminate();
  };

  constructor(
    private readonly pid: number,
    private readonly options: ProcessOptions,
    private readonly release: () => void,
    private readonly resolve: (r: ProcessResult) => void,
  ) {
    this.out = new Capture('stdout', options);
    this.err = new Capture('stderr', options);
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    // An abort between spawn() and the 'spawn' event found no listener yet.
    if (options.signal?.aborted) this.onAbort();
    // setTimeout turns an overlong delay into 1 ms; anything past ~24.8 days means no timeout.
    this.timeoutTimer =
      options.timeoutMs === undefined || !(options.timeoutMs <= MAX_TIMER_MS)
        ? undefined
        : setTimeout(() => {
            this.timedOut = true;
            this.terminate();
          }, options.timeoutMs);
  }

  output(stream: OutputStream, chunk: Uint8Array): void {
    (stream === 'stdout' ? this.out : this.err).push(chunk);
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    clearTimeout(this.timeoutTimer);
    this.drainTimer = setTimeout(() => this.settle(), DRAIN_AFTER_EXIT_MS);
  }

  settle(): void {
    if (this.settled || this.exit === undefined) return;
    this.settled = true;
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.drainTimer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.release();
    const { code, signal } = this.exit;
    this.resolve({
      stdout: this.out.finish(),
      stderr: this.err.finish(),
      retcode: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1),
      pid: this.pid,
      truncated: this.out.truncated || this.err.truncated,
      timedOut: this.timedOut,
      cancelled: this.cancelled,
      ...(signal ? { signal } : {}),
    });
  }

  private killGroup(sig: NodeJS.Signals): void {
    try {
      // The child leads its own group wherever it was started from (see ProcessSpawner).
      process.kill(-this.pid, sig);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  private terminate(): void {
    if (this.terminating) return;
    this.terminating = true;
    this.killGroup('SIGTERM');
    // Unref'd so a finished job never holds the minion open; it still fires if the minion runs on.
    setTimeout(() => this.killGroup('SIGKILL'), this.options.killGraceMs ?? 2000).unref();
  }
}

/** Keeps the first `maxOutputBytes` of one pipe, decoded as UTF-8, and feeds `onOutput` by lines. */
class Capture {
  truncated = false;
  private readonly parts: string[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private kept = 0;
  private held = '';

  constructor(
    private readonly stream: OutputStream,
    private readonly options: ProcessOptions,
  ) {}

  push(chunk: Uint8Array): void {
    const room = this.options.maxOutputBytes - this.kept;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const slice = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.kept += slice.length;
    const text = this.decoder.write(slice);
    if (text === '') return;
    this.parts.push(text);
    this.forward(text, false);
  }

  /** The captured text; a multi-byte character cut by the cap is dropped, not mangled. */
  finish(): string {
    const tail = this.truncated ? '' : this.decoder.end();
    if (tail !== '') this.parts.push(tail);
    this.forward(tail, true);
    return this.parts.join('');
  }

  private forward(text: string, end: boolean): void {
    if (!this.options.onOutput) return;
    this.held += text;
    const cut = end || this.held.length > MAX_HELD_LINE ? this.held.length : this.held.lastIndexOf('\n') + 1;
    if (cut === 0) return;
    const ready = this.held.slice(0, cut);
    this.held = this.held.slice(cut);
    try {
      this.options.onOutput(this.stream, ready);
    } catch {
      // A failing listener must not take down the pipe reader (and with it the minion).
    }
  }
}

function spawnError(err: unknown, program: string, cwd: string | undefined): SpawnFailedError {
  const errno = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
  if (errno === 'ENOENT' && cwd !== undefined && !isDirectory(cwd)) {
    return new SpawnFailedError(`cannot run ${program}: working directory ${cwd} does not exist`, { errno });
  }
  const reason: Record<string, string> = {
    ENOENT: 'no such program',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted (switching user needs root)',
  };
  return new SpawnFailedError(`cannot run ${program}: ${reason[errno] ?? (err as Error).message}`, { errno });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
