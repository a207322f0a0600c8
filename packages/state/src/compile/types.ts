/**
 * The shapes of the compile phase, after Salt's salt/state.py: *high data* is what the SLS
 * files say, keyed by state ID; *low states* are the flat list the runner executes, one per
 * (ID, module, name).
 */

/** One state ID of the high data. */
export interface HighState {
  id: string;
  sls: string;
  env: string;
  /** The root-relative file the ID was defined in, and its line there. */
  file: string;
  line: number | undefined;
  /** `module -> [function, {arg: value}, ...]`, in definition order. */
  decls: Map<string, unknown[]>;
}

/** An `extend:` entry, applied once every file is rendered. */
export interface ExtendEntry {
  id: string;
  decls: Map<string, unknown[]>;
  sls: string;
  file: string;
  line: number | undefined;
}

/** The high data of a whole run: states by ID in definition order, plus extends and excludes. */
export interface HighData {
  states: Map<string, HighState>;
  extend: ExtendEntry[];
  exclude: unknown[];
}

/**
 * One low state, as Salt's low chunk: `state`, `fun`, `name`, `__id__`, `__sls__`, `__env__`,
 * `order`, the requisites and every argument of the declaration. Brine adds `__file__` and
 * `__line__` so errors can name where the ID was written.
 */
export interface LowState {
  state: string;
  fun: string;
  name: string;
  __id__: string;
  __sls__: string;
  __env__: string;
  __file__: string;
  __line__?: number;
  order: number;
  [arg: string]: unknown;
}

/** The requisites a low state may carry, as the runner reads them. */
export const REQUISITES = [
  'require',
  'require_any',
  'watch',
  'watch_any',
  'prereq',
  'prerequired',
  'onfail',
  'onfail_any',
  'onfail_all',
  'onchanges',
  'onchanges_any',
] as const;

/** One of {@link REQUISITES}. */
export type RequisiteType = (typeof REQUISITES)[number];

/** The `_in` forms, each turned into its base form on the target state while compiling. */
export const REQUISITES_IN = [
  'require_in',
  'watch_in',
  'onchanges_in',
  'onfail_in',
  'prereq_in',
  'listen_in',
  'use_in',
] as const;

/**
 * Keys of a low state that steer the engine and are not passed to the state function (Salt's
 * STATE_REQUISITE_KEYWORDS and the runtime keywords the engine itself interprets).
 */
export const ENGINE_KEYS: ReadonlySet<string> = new Set<string>([
  ...REQUISITES,
  ...REQUISITES_IN,
  'listen',
  'use',
  'state',
  'fun',
  'order',
  'name_order',
  'names',
  'parallel',
  'failhard',
]);

/** Salt's result key of a low state: `file_|-id_|-name_|-managed`. */
export function stateKey(low: Pick<LowState, 'state' | '__id__' | 'name' | 'fun'>): string {
  return `${low.state}_|-${low.__id__}_|-${low.name}_|-${low.fun}`;
}
