import { spawn } from 'node:child_process';
import type { Cluster, CliRun } from '@brine/testing';

/** One result of `--out json`, as the CLI prints it. */
export interface JsonMinion {
  outcome: string;
  success: boolean;
  retcode?: number;
  ret?: unknown;
  reason?: string;
  durationMs?: number;
}

/** The document `brine --out json` prints. */
export interface JsonJob {
  jid: string;
  minions: Record<string, JsonMinion>;
  summary: {
    targeted: number;
    returned: number;
    failed: number;
    didNotReturn: number;
    success: boolean;
    durationMs: number;
  };
}

/** Parses `brine --out json` output, with the output in the error when it is not JSON. */
export function jsonJob(run: CliRun): JsonJob {
  try {
    return JSON.parse(run.stdout) as JsonJob;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** The sorted ids of a `--out json` document. */
export function idsOf(run: CliRun): string[] {
  return Object.keys(jsonJob(run).minions).sort();
}

/** A CLI process whose output is read as it comes, for `--stream`, `brine events` and long jobs. */
export interface LiveCli {
  /** Everything written to stdout so far. */
  readonly stdout: () => string;
  /** Resolves with the first match of `pattern` in stdout; rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process exits, with what it printed. */
  done: Promise<CliRun & { exitedAt: number }>;
  /** Sends a signal to the process (it is one this test started). */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts a CLI program against the cluster without waiting for it, so a test can watch its
 * stdout while it runs. The process is killed after `timeoutMs` so a hung CLI fails the test.
 */
export function startCli(cluster: Cluster, bin: string, args: string[], timeoutMs = 20_000): LiveCli {
  const child = spawn(process.execPath, [bin, ...args], { env: cluster.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    for (const w of waiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliRun & { exitedAt: number }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      for (const w of waiters) w();
      resolve({ code: code ?? -1, stdout, stderr, exitedAt: Date.now() });
    }),
  );
  return {
    stdout: () => stdout,
    done,
    kill: (signal = 'SIGTERM') => child.kill(signal),
    waitFor: (pattern, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(pattern);
          if (m) finish(() => resolve(m));
          else if (child.exitCode !== null || child.signalCode !== null)
            finish(() => reject(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no ${pattern} within ${ms} ms:\n${stdout}\n${stderr}`))),
          ms,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
