import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's location (src or dist). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Paths of the built daemons and CLI programs. */
export const BIN = {
  master: join(REPO_ROOT, 'packages/master/dist/bin/brine-master.js'),
  minion: join(REPO_ROOT, 'packages/minion/dist/bin/brine-minion.js'),
  brine: join(REPO_ROOT, 'packages/cli/dist/bin/brine.js'),
  brineKey: join(REPO_ROOT, 'packages/cli/dist/bin/brine-key.js'),
  brineRun: join(REPO_ROOT, 'packages/cli/dist/bin/brine-run.js'),
  brineCall: join(REPO_ROOT, 'packages/cli/dist/bin/brine-call.js'),
} as const;

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link startCluster}. */
export interface ClusterOptions {
  /** Minion ids to start. */
  minions?: string[];
  /** Extra master config (YAML keys), merged over the test defaults. */
  master?: Record<string, unknown>;
  /** Extra minion config, merged over the test defaults. */
  minion?: Record<string, unknown>;
  /** Accept every minion key automatically (autosign `*`). @default true */
  autosign?: boolean;
  /** Wait until all minions are connected. @default true when autosign */
  waitConnected?: boolean;
  /** Parent directory; a fresh temp dir when absent. */
  dir?: string;
  /** Where daemon logs go. @default 'file' (dir/<name>.log) */
  logs?: 'file' | 'inherit';
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Options for {@link waitForProgress}. */
export interface ProgressWait {
  /** A snapshot of how far the work has got; any change counts as progress (compared as JSON). */
  progress: () => unknown;
  /** Fail when the snapshot has not changed for this long. @default 30_000 */
  stallMs?: number;
  /** Fail after this long whatever happens: a bound for work that moves but never ends. @default 300_000 */
  capMs?: number;
  /** What is awaited, for the error message. */
  what: string;
}

/**
 * Polls `done` until it holds, for as long as the work behind it keeps moving: a wait for work
 * whose duration scales with the CPU it gets (a loaded CI box runs it several times slower), so
 * it fails only when nothing changed for `stallMs`, or past the generous `capMs`.
 */
export async function waitForProgress(done: () => boolean | Promise<boolean>, opts: ProgressWait): Promise<void> {
  const stallMs = opts.stallMs ?? 30_000;
  const start = Date.now();
  const capAt = start + (opts.capMs ?? 300_000);
  let last = JSON.stringify(opts.progress());
  let movedAt = start;
  for (;;) {
    if (await done()) return;
    const now = Date.now();
    const snap = JSON.stringify(opts.progress());
    if (snap !== last) [last, movedAt] = [snap, now];
    if (now - movedAt > stallMs)
      throw new Error(
        `no progress for ${stallMs} ms waiting for ${opts.what} (stuck at ${snap}, ${now - start} ms in all)`,
      );
    if (now > capAt) throw new Error(`timed out after ${now - start} ms waiting for ${opts.what} (at ${snap})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function yamlOf(obj: Record<string, unknown>): string {
  // JSON is valid YAML: no YAML library needed to write a config.
  return JSON.stringify(obj, null, 2) + '\n';
}

/**
 * A real master and real minion processes on loopback, in a temp directory: what the
 * cross-process tests, the demo and the benchmarks run against.
 */
export class Cluster {
  readonly dir: string;
  master: ChildProcess | undefined;
  readonly minions = new Map<string, ChildProcess>();
  endpoints!: { api: string; minionPort: number; fingerprint: string; tls: boolean };
  token!: string;
  readonly #options: ClusterOptions;
  readonly #owned: boolean;

  constructor(options: ClusterOptions = {}) {
    this.#options = options;
    this.#owned = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'brine-'));
  }

  get masterDir(): string {
    return join(this.dir, 'master');
  }

  /** Environment for CLI processes: the master URL and admin token. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, BRINE_URL: this.endpoints.api, BRINE_TOKEN: this.token, NO_COLOR: '1' };
  }

  /** Starts (or restarts) the master and waits until its API answers. Keeps the same ports on restart. */
  async startMaster(options: { env?: NodeJS.ProcessEnv } = {}): Promise<void> {
    const first = this.endpoints === undefined;
    const config: Record<string, unknown> = {
      interface: '127.0.0.1',
      port: first ? 0 : this.endpoints.minionPort,
      api: { host: '127.0.0.1', port: first ? 0 : Number(new URL(this.endpoints.api).port) },
      state_dir: this.masterDir,
      heartbeat_ms: 1000,
      pending_retry_ms: 300,
      ack_timeout_ms: 3000,
      job_grace_ms: 1000,
      restart_recovery_ms: 3000,
      log_level: 'info',
      ...(this.#options.autosign === false ? {} : { autosign: { ids: ['*'] } }),
      ...this.#options.master,
    };
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'master.yaml'), yamlOf(config));
    const endpointsFile = join(this.masterDir, 'endpoints.json');
    rmSync(endpointsFile, { force: true });
    this.master = this.#spawn('master', BIN.master, ['--config', join(this.dir, 'master.yaml')], options.env);
    const exited = new Promise<never>((_, reject) =>
      this.master!.once('exit', (code) =>
        reject(new Error(`master exited with ${code}; see ${join(this.dir, 'master.log')}`)),
      ),
    );
    await Promise.race([waitFor(() => existsSync(endpointsFile), 15_000, 'master endpoints.json'), exited]);
    this.master.removeAllListeners('exit');
    this.endpoints = JSON.parse(readFileSync(endpointsFile, 'utf8'));
    this.token = (JSON.parse(readFileSync(join(this.masterDir, 'cli.json'), 'utf8')) as { token: string }).token;
  }

  /** Starts a minion process with its own state directory. */
  startMinion(id: string, extra: Record<string, unknown> = {}): ChildProcess {
    const stateDir = join(this.dir, 'minions', id);
    mkdirSync(stateDir, { recursive: true });
    const config = {
      master: `${this.endpoints.tls ? 'wss' : 'ws'}://127.0.0.1:${this.endpoints.minionPort}`,
      id,
      state_dir: stateDir,
      master_fingerprint: this.endpoints.fingerprint,
      insecure_plain_ws: !this.endpoints.tls,
      startup_splay_ms: 0,
      reconnect_base_ms: 200,
      reconnect_cap_ms: 2000,
      log_level: 'info',
      ...this.#options.minion,
      ...extra,
    };
    const file = join(this.dir, `minion-${id}.yaml`);
    writeFileSync(file, yamlOf(config));
    const child = this.#spawn(`minion-${id}`, BIN.minion, ['--config', file]);
    this.minions.set(id, child);
    return child;
  }

  /** Starts a swarm process of `count` virtual minions named `<prefix><index>` (needs autosign). */
  startSwarm(count: number, prefix: string, extraArgs: string[] = []): ChildProcess {
    const url = `${this.endpoints.tls ? 'wss' : 'ws'}://127.0.0.1:${this.endpoints.minionPort}`;
    const child = this.#spawn(`swarm-${prefix}`, BIN.minion, [
      'swarm',
      '--count',
      String(count),
      '--id-prefix',
      prefix,
      '--master',
      url,
      '--master-fingerprint',
      this.endpoints.fingerprint,
      '--reconnect-base',
      '200',
      '--reconnect-cap',
      '2000',
      '--status-every',
      '60000',
      ...extraArgs,
    ]);
    this.minions.set(`swarm:${prefix}`, child);
    return child;
  }

  /** Sends a signal to a minion process and waits for it to exit. */
  async killMinion(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.minions.get(id);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
    this.minions.delete(id);
  }

  /** Sends a signal to the master and waits for it to exit. */
  async killMaster(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.master;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  /** Calls the REST API with the admin token. */
  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(this.endpoints.api + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Ids of connected minions, from the API. */
  async connected(): Promise<string[]> {
    const { body } = await this.api<{ minions: { id: string; connected: boolean }[] }>(
      'GET',
      '/api/v1/minions?connected=true',
    );
    return body.minions.map((m) => m.id);
  }

  /** Waits until the given minions are connected. */
  async waitConnected(ids: string[], timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        const up = new Set(await this.connected());
        return ids.every((id) => up.has(id));
      },
      timeoutMs,
      `minions ${ids.join(', ')} to connect`,
    );
  }

  /** Runs a CLI program (brine, brine-key, ...) as a process against this master. */
  cli(bin: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], {
        env: { ...this.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${bin} ${args.join(' ')} did not finish in time`));
      }, options.timeoutMs ?? 60_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  /** Starts the master and the configured minions, waiting for them to connect when autosigned. */
  async start(): Promise<this> {
    await this.startMaster();
    for (const id of this.#options.minions ?? []) this.startMinion(id);
    if ((this.#options.waitConnected ?? this.#options.autosign !== false) && this.#options.minions?.length) {
      await this.waitConnected(this.#options.minions);
    }
    return this;
  }

  /** Stops every process (SIGTERM, then SIGKILL) and removes the temp dir if it made it. */
  async stop(): Promise<void> {
    const all = [...this.minions.values(), ...(this.master ? [this.master] : [])];
    await Promise.all(
      all.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const t = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    this.minions.clear();
    if (this.#owned && !process.env['BRINE_KEEP_TEST_DIRS']) rmSync(this.dir, { recursive: true, force: true });
  }

  #spawn(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const logs = this.#options.logs ?? 'file';
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: logs === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BRINE_LOG_FORMAT: 'json', ...env },
    });
    if (logs === 'file') {
      const log = join(this.dir, `${name}.log`);
      const append = (c: Buffer) => writeFileSync(log, c, { flag: 'a' });
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
    }
    return child;
  }
}

/** Starts a cluster; call `stop()` when done. */
export function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  return new Cluster(options).start();
}
