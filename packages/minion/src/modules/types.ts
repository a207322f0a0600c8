import type { Logger } from 'pino';
import type { z } from 'zod';
import type { ProgressStreamValue as ProgressStream } from '@brine/protocol';

/** A minion's grains: facts about the host, used for targeting. */
export type Grains = Record<string, unknown>;

/** Grains as a module sees them: read, set one (persisted), refresh from the host. */
export interface GrainsAccess {
  /** All grains now. */
  all(): Grains;
  /** Sets a custom grain, persists it to the minion's grains file, and tells the master. */
  setValue(key: string, value: unknown): Promise<void>;
  /** Re-reads the host's grains and tells the master. */
  refresh(): Promise<Grains>;
}

/** The master's file server as a module sees it (`brine://` paths). */
export interface MasterFiles {
  /** Fetches one file from the master's file roots, hash-checked, into `dest`. Returns its sha256. */
  getFile(path: string, dest: string): Promise<{ sha256: string; size: number }>;
  /** Lists the files under a prefix of the master's file roots. */
  list(prefix: string): Promise<string[]>;
}

/** A job currently running on this minion, for `saltutil.running`. */
export interface RunningJob {
  jid: string;
  fun: string;
  startedAt: number;
  pid?: number;
}

/** What the executor tells modules about the jobs it runs. */
export interface JobsAccess {
  running(): RunningJob[];
  /** Cancels a running job; false when no such job runs. */
  kill(jid: string): boolean;
}

/** Everything a module function may use; nothing else (no globals, no config dict). */
export interface ModuleContext {
  jid: string;
  log: Logger;
  /** Aborted when the job is cancelled or times out: stop work and kill child processes. */
  signal: AbortSignal;
  /** Time left before the job's timeout, in ms. */
  timeoutMs: number;
  grains: GrainsAccess;
  files: MasterFiles;
  jobs: JobsAccess;
  /** The function registry, for `sys.list_functions` and `sys.doc`. */
  registry: ReadonlyMap<string, ModuleFunction>;
  /**
   * Live output for `--stream`: a chunk of stdout or stderr while the function runs, or a
   * state's result (`state`: the JSON of `{key, result}`) as a state run goes on.
   */
  emit(stream: ProgressStream, data: string): void;
  /** Largest stdout or stderr kept per process, in bytes; more is dropped and flagged `truncated`. */
  maxOutputBytes: number;
  /** A directory the minion owns for caches (`cp.get_file` without a destination). */
  cacheDir: string;
}

/** What a module function returns; `retcode` defaults to 0 and `success` to `retcode === 0`. */
export interface ModuleResult {
  ret: unknown;
  retcode?: number;
  success?: boolean;
}

/**
 * One `module.function` entry. Positional arguments are assigned to `params` in order, keyword
 * arguments by name, and the resulting object is validated by `schema` before `run` sees it.
 */
export interface ModuleFunction<S extends z.ZodType = z.ZodType> {
  /** `module.function`, e.g. `cmd.run`. */
  name: string;
  /** What it does, its arguments, and a CLI example, as `sys.doc` prints it. */
  doc: string;
  /** Names given to positional arguments, in order. */
  params: readonly string[];
  /** When set, extra positional arguments are collected under this name (as `test.arg` does). */
  rest?: string;
  schema: S;
  run(input: z.output<S>, ctx: ModuleContext): Promise<ModuleResult>;
}

/** Defines a module function with its input type inferred from its schema. */
export function defineFunction<S extends z.ZodType>(fn: ModuleFunction<S>): ModuleFunction<S> {
  return fn;
}
