import type { Logger } from 'pino';
import type { z } from 'zod';

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

/** This minion's pillar, compiled by the master for it alone and sent over its own connection. */
export interface PillarAccess {
  /**
   * The pillar last received (pushed at connect and after a grains change), fetched when none
   * has come yet. Rejects with the master's error (`ERR_PILLAR_COMPILE` with file:line...) when
   * this minion's pillar did not compile.
   */
  items(): Promise<Record<string, unknown>>;
  /** Asks the master to compile it again now (`saltutil.refresh_pillar`), and keeps the answer. */
  refresh(): Promise<Record<string, unknown>>;
}

/** The master's mine as a module sees it; the master files writes under this minion's id. */
export interface MineAccess {
  /** Stores this minion's entries (function or alias → result); `clear` replaces all of them. */
  update(data: Record<string, unknown>, clear: boolean): Promise<void>;
  /** Drops this minion's entry for `fun`, or all its entries. */
  delete(fun?: string): Promise<boolean>;
  /**
   * `fun` from the minions the target selects (`tgtType`: a target type such as `glob`,
   * `grain`, `compound`), as far as the master's access rule allows: id → data.
   */
  get(tgt: string | string[], fun: string, tgtType: string): Promise<Record<string, unknown>>;
  /** `mine_functions` from the minion config (pillar's `mine_functions` are merged over them by mine.update). */
  configured(): Record<string, unknown>;
}

/** A minion schedule entry as `schedule.list` shows it. */
export interface MinionScheduleView {
  function: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** The interval, for a schedule on one. */
  seconds?: number;
  /** The cron expression, for a schedule on one. */
  cron?: string;
  /** The cron expression's time zone, when not UTC. */
  timezone?: string;
  splay: number;
  max_running: number;
  enabled: boolean;
  /** Whether it fires now: enabled, and the whole schedule not off (`schedule.disable`). */
  active: boolean;
  /** Where it comes from: the minion config, the pillar (which wins over the others), or `schedule.add`. */
  source: 'config' | 'pillar' | 'runtime';
}

/** What the `schedule.*` functions drive: the minion's scheduler. Errors are MinionErrors with codes. */
export interface ScheduleControl {
  list(): Record<string, MinionScheduleView>;
  add(name: string, entry: Record<string, unknown>): void;
  delete(name: string): void;
  setEnabled(name: string, enabled: boolean): void;
  /** Turns the whole schedule off (no schedule fires) or on again, kept across restarts (Salt's schedule.disable/enable). */
  setAllEnabled(enabled: boolean): void;
  /** Runs one schedule's job now, outside its timing (Salt's schedule.run_job); a disabled one only with `force`. */
  runJob(name: string, force: boolean): void;
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
  pillar: PillarAccess;
  mine: MineAccess;
  jobs: JobsAccess;
  /** The function registry, for `sys.list_functions` and `sys.doc`. */
  registry: ReadonlyMap<string, ModuleFunction>;
  /**
   * Live output for `--stream`: a chunk of stdout or stderr while the function runs, or a
   * state's result (`state`: the JSON of `{key, result}`) as a state run goes on.
   */
  emit(stream: 'stdout' | 'stderr' | 'state', data: string): void;
  /** Largest stdout or stderr kept per process, in bytes; more is dropped and flagged `truncated`. */
  maxOutputBytes: number;
  /** A directory the minion owns for caches (`cp.get_file` without a destination). */
  cacheDir: string;
  /**
   * Sends an event to the master (an `event` frame); false when the master is not connected.
   * Absent where there is no master (`brine-call --local`).
   */
  fireEvent?(tag: string, data: unknown): boolean;
  /** The minion's own schedule, for `schedule.*`; absent where there is none (`brine-call --local`). */
  schedule?: ScheduleControl;
  /**
   * Runs another execution function by name with positional and keyword arguments, validated as
   * a job's would be (Salt's `__salt__`); rejects with a coded error when refused. Given to
   * custom modules; built-ins import what they need.
   */
  call?(fun: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>): Promise<ModuleResult>;
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

/** Whether a module loads on this host: `true`, or `{ ok: false, reason }` to decline (Salt's `__virtual__`). */
export type VirtualVerdict = true | { ok: false; reason: string };

/** What a module's `virtual()` hook may look at: the host's grains. */
export interface VirtualContext {
  grains: Grains;
}

/** One function of a module, without its module prefix (the module's `name` supplies it). */
export type ModuleFunctionSpec<S extends z.ZodType = z.ZodType> = Omit<ModuleFunction<S>, 'name'>;

/**
 * A custom (or built-in) execution module: a name, an optional `virtual()` hook and functions.
 * A file in `_modules/` default-exports one of these.
 */
export interface ModuleDefinition {
  /** The module name, the part before the dot (`myapp` in `myapp.deploy`). */
  name: string;
  /**
   * When a module of this name exists already: `false` (the default) adds these functions to it,
   * a same-named function replacing the existing one; `true` replaces the whole module.
   * @default false
   */
  replace?: boolean;
  /** Decides whether the module loads on this host; the reason shows in `sys.list_modules`. */
  virtual?(ctx: VirtualContext): VirtualVerdict | Promise<VirtualVerdict>;
  /** The functions, keyed by their name inside the module. */
  functions: Readonly<Record<string, ModuleFunctionSpec>>;
}

/**
 * Defines an execution module. Each function's input type is inferred from its schema when it is
 * written with {@link fn}; the result is plain data, checked again when the minion loads it.
 */
export function defineModule(def: ModuleDefinition): ModuleDefinition {
  return def;
}

/** Types one function of {@link defineModule} from its schema (the module supplies the name). */
export function fn<S extends z.ZodType>(spec: ModuleFunctionSpec<S>): ModuleFunctionSpec {
  return spec as unknown as ModuleFunctionSpec;
}

/** The `module.function` entries of a module definition, in the order it lists them. */
export function moduleFunctions(def: ModuleDefinition): ModuleFunction[] {
  return Object.entries(def.functions).map(([name, spec]) => ({ ...spec, name: `${def.name}.${name}` }));
}
