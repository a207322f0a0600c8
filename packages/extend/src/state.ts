import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Grains, MasterFiles, ModuleResult, VirtualContext, VirtualVerdict } from './module.js';

/**
 * What a state function returns, in Salt's shape. `result` is true (the state holds, changed or
 * not), false (it failed), or null (test mode: something would change). `changes` is empty when
 * nothing changed; file contents appear as a unified diff under `changes.diff`, as in Salt.
 */
export interface StateResult {
  name: string;
  result: boolean | null;
  comment: string;
  changes: Record<string, unknown>;
}

/**
 * Everything a state function may use, injected by the state engine (`packages/state`) when it
 * runs a low state. An implementation owes: a logger, an abort signal that fires when the run is
 * cancelled, the `test` flag, the master's file server, a Jinja `render`, read access to grains
 * and pillar, and `call` to run any execution function with the minion's registry.
 */
export interface StateContext {
  log: Logger;
  /** Aborted when the state run is cancelled or times out: stop work and kill child processes. */
  signal: AbortSignal;
  /** `test=True`: change nothing, report what would change with `result: null`. */
  test: boolean;
  /** The master's file server; state functions accept `brine://` and `salt://` for it. */
  files: MasterFiles;
  /**
   * Renders template text with the variables of `context` (plus grains, pillar and the function
   * caller the engine adds). Used for `template: jinja`; rejects with a message on a render error.
   */
  render(text: string, context: Readonly<Record<string, unknown>>): Promise<string>;
  /** The minion's grains now. */
  grains(): Grains;
  /** A pillar value by colon-separated key (`'app:db:password'`); undefined when absent. */
  pillar(key: string): unknown;
  /**
   * Runs an execution function (`module.run`, `cmd.*` helpers) with positional and keyword
   * arguments, as a job would; rejects with a coded error when it is unknown or fails.
   */
  call(fun: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>): Promise<ModuleResult>;
  /** Time left before the run's timeout, in ms; child processes are killed after it. */
  timeoutMs: number;
  /** Largest stdout or stderr kept per child process, in bytes. */
  maxOutputBytes: number;
  /** Live output of child processes (`cmd.run`), as `--stream` shows it; may drop it. */
  emit(stream: 'stdout' | 'stderr', data: string): void;
  /** A directory the minion owns for caches (downloaded sources, archives, backups). */
  cacheDir: string;
}

/**
 * One `module.function` state entry, such as `file.managed`. The engine validates a low state's
 * arguments (including `name`) with `args` and calls `run`; when a `watch` requisite saw changes
 * it calls `modWatch` instead (Salt's `mod_watch`), or `run` when there is none.
 */
export interface StateFunction<S extends z.ZodType = z.ZodType> {
  /** `module.function`, e.g. `file.managed`. */
  name: string;
  /** What it does, its arguments, and an SLS example. */
  doc: string;
  /** The arguments schema; its output is what `run` receives. */
  args: S;
  /** Brings the host to the state (or, under `ctx.test`, reports what it would change). Never throws for a host problem: it returns `result: false`. */
  run(args: z.output<S>, ctx: StateContext): Promise<StateResult>;
  /** Reacts to a `watch` requisite that changed (restart a service, run a command). */
  modWatch?(args: z.output<S>, ctx: StateContext): Promise<StateResult>;
}

/** Defines a state function with its argument type inferred from its schema. */
export function defineState<S extends z.ZodType>(fn: StateFunction<S>): StateFunction<S> {
  return fn;
}

/** A state module: a name, an optional `virtual()` hook and its state functions (a file in `_states/` default-exports one). */
export interface StateModuleDefinition {
  /** The module name (`myapp` in `myapp.deployed`). */
  name: string;
  /** As for execution modules: `true` replaces a same-named state module, `false` adds to it. @default false */
  replace?: boolean;
  /** Decides whether the module loads on this host; the reason shows in `saltutil.sync_states`. */
  virtual?(ctx: VirtualContext): VirtualVerdict | Promise<VirtualVerdict>;
  /** The state functions keyed by their name inside the module; each says what `ctx.test` does. */
  states: Readonly<Record<string, Omit<StateFunction, 'name'>>>;
}

/** Defines a state module (see {@link StateModuleDefinition}). */
export function defineStateModule(def: StateModuleDefinition): StateModuleDefinition {
  return def;
}

/** The `module.function` state entries of a state module definition. */
export function stateModuleFunctions(def: StateModuleDefinition): StateFunction[] {
  return Object.entries(def.states).map(([name, spec]) => ({ ...spec, name: `${def.name}.${name}` }));
}

/** Types one state function of {@link defineStateModule} from its schema (the module supplies the name). */
export function stateFn<S extends z.ZodType>(spec: Omit<StateFunction<S>, 'name'>): Omit<StateFunction, 'name'> {
  return spec as unknown as Omit<StateFunction, 'name'>;
}
