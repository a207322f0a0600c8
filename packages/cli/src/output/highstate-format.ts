import { stripControl, type Palette } from './ansi.js';
import { renderNested } from './nested.js';

/** Salt's `--state-output`: how much of each state to print. */
export const STATE_OUTPUTS = ['full', 'terse', 'mixed', 'changes'] as const;
/** Whether `fun` runs states (its default outputter is highstate, its default timeout long), unlike `state.show_*`. */
export function isStateRun(fun: string): boolean {
  return fun.startsWith('state.') && !/^state\.(show_\w+|running)$/.test(fun);
}

/** One of {@link STATE_OUTPUTS}. */
export type StateOutput = (typeof STATE_OUTPUTS)[number];

/** One state's result in a state run's return, as the minion keys it (`file_|-id_|-name_|-managed`). */
export interface StateRet {
  __id__?: string;
  __run_num__?: number;
  name?: string;
  result: boolean | null;
  comment?: string | string[];
  changes?: Record<string, unknown>;
  start_time?: string;
  duration?: number;
}

/** How {@link formatState} and {@link formatHighstate} print. */
export interface HighstateStyle {
  palette: Palette;
  /** @default 'full' */
  stateOutput: StateOutput;
  /** false: leave out states that succeeded without changes (Salt's `--state-verbose=false`). @default true */
  stateVerbose: boolean;
}

/** Whether a return is a state run's: a mapping whose every key is Salt's `mod_|-id_|-name_|-fun`. */
export function isStateReturn(ret: unknown): ret is Record<string, StateRet> {
  if (typeof ret !== 'object' || ret === null || Array.isArray(ret)) return false;
  const entries = Object.entries(ret);
  return (
    entries.length > 0 &&
    entries.every(([k, v]) => k.split('_|-').length === 4 && typeof v === 'object' && v !== null && 'result' in v)
  );
}

/** Whether a return is Salt's "Data failed to compile" list of error strings. */
export function isCompileErrors(ret: unknown): ret is string[] {
  return Array.isArray(ret) && ret.length > 0 && ret.every((x) => typeof x === 'string');
}

const hasChanges = (r: StateRet): boolean => r.changes !== undefined && Object.keys(r.changes).length > 0;

/** The colour of a state, as Salt's highstate outputter: red failed, yellow test, cyan changed, green clean. */
function colourOf(r: StateRet, p: Palette): (s: string) => string {
  if (r.result === false) return p.red;
  if (r.result === null) return p.lightYellow;
  return hasChanges(r) ? p.cyan : p.green;
}

function commentText(c: StateRet['comment']): string {
  return stripControl(Array.isArray(c) ? c.join('\n') : (c ?? ''));
}

/** `12.345 ms`, as Salt prints a duration. */
function ms(n: number | undefined): string {
  return `${(n ?? 0).toFixed(3)} ms`;
}

/** One state in Salt's terse form: `  Name: x - Function: file.managed - Result: Changed - Started: ... - Duration: ...`. */
export function terseLine(key: string, r: StateRet, p: Palette): string {
  const [mod, , name, fun] = key.split('_|-');
  const result = r.result === false ? 'Failed' : r.result === null ? 'Differs' : hasChanges(r) ? 'Changed' : 'Clean';
  const shown = stripControl(r.name ?? name ?? '');
  return colourOf(
    r,
    p,
  )(
    `  Name: ${shown} - Function: ${mod}.${fun} - Result: ${result} - Started: ${r.start_time ?? ''} - Duration: ${ms(r.duration)}`,
  );
}

/** One state in the form `--state-output` asks for (or nothing, under `--state-verbose=false`). */
export function formatState(key: string, r: StateRet, style: HighstateStyle): string[] {
  const p = style.palette;
  const changed = hasChanges(r);
  if (!style.stateVerbose && r.result === true && !changed) return [];
  const full =
    style.stateOutput === 'full' ||
    (style.stateOutput === 'mixed' && r.result === false) ||
    (style.stateOutput === 'changes' && (r.result === false || changed));
  if (!full) return [terseLine(key, r, p)];
  const [mod, id, name, fun] = key.split('_|-');
  const c = colourOf(r, p);
  const comment = commentText(r.comment).split('\n');
  const out = [
    c('----------'),
    c(`          ID: ${stripControl(r.__id__ ?? id ?? '')}`),
    c(`    Function: ${mod}.${fun}`),
    c(`        Name: ${stripControl(r.name ?? name ?? '')}`),
    c(`      Result: ${r.result === true ? 'True' : r.result === false ? 'False' : 'None'}`),
    c(`     Comment: ${comment[0] ?? ''}`),
    ...comment.slice(1).map((l) => c(`              ${l}`)),
    c(`     Started: ${r.start_time ?? ''}`),
    c(`    Duration: ${ms(r.duration)}`),
    c('     Changes:   '),
  ];
  if (changed) out.push(...renderNested(r.changes, 14, { palette: p, failed: r.result === false }));
  return out;
}

/** The states of a return in run order (`__run_num__`). */
export function orderedStates(ret: Record<string, StateRet>): [string, StateRet][] {
  return Object.entries(ret).sort(([, a], [, b]) => (a.__run_num__ ?? 0) - (b.__run_num__ ?? 0));
}

/** Salt's per-minion summary block. */
export function summaryBlock(id: string, ret: Record<string, StateRet>, p: Palette): string[] {
  const states = Object.values(ret);
  const failed = states.filter((r) => r.result === false).length;
  // As Salt: a test run's `None` counts as succeeded, shown as `unchanged`; `changed` counts
  // states with changes (made, or predicted in a test run).
  const predicted = states.filter((r) => r.result === null).length;
  const changed = states.filter((r) => r.result !== false && hasChanges(r)).length;
  const ok = states.length - failed;
  const total = states.reduce((n, r) => n + (r.duration ?? 0), 0);
  const time = total >= 1000 ? `${(total / 1000).toFixed(3).padStart(7)} s` : `${total.toFixed(3).padStart(7)} ms`;
  const detail = predicted > 0 ? `unchanged=${predicted}, changed=${changed}` : changed > 0 ? `changed=${changed}` : '';
  const lines = [
    '',
    p.cyan(`Summary for ${stripControl(id)}`),
    p.cyan('------------'),
    p.green(`Succeeded: ${ok}`) + (detail === '' ? '' : ` (${p.green(detail)})`),
  ];
  lines.push(
    (failed > 0 ? p.red : p.cyan)(`Failed:    ${failed}`),
    p.cyan('------------'),
    p.cyan(`Total states run:     ${states.length}`),
    p.cyan(`Total run time: ${time}`),
  );
  return lines;
}

/** A whole state run's return for one minion, as Salt's highstate outputter prints it. */
export function formatHighstate(id: string, ret: Record<string, StateRet>, style: HighstateStyle): string[] {
  const p = style.palette;
  const failed = Object.values(ret).some((r) => r.result === false);
  const out = [(failed ? p.red : p.cyan)(`${stripControl(id)}:`)];
  for (const [key, r] of orderedStates(ret)) out.push(...formatState(key, r, style));
  out.push(...summaryBlock(id, ret, p));
  return out;
}

/** Salt's "Data failed to compile" block: each error a line, in red. */
export function formatCompileErrors(id: string, errors: readonly string[], p: Palette): string[] {
  return [
    `${p.red(stripControl(id))}:`,
    p.red('    Data failed to compile:'),
    ...errors.flatMap((e) => [
      p.red('----------'),
      ...stripControl(e)
        .split('\n')
        .map((l) => p.red(`    ${l}`)),
    ]),
  ];
}
