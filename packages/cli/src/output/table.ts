import type { MinionResult } from '@brine/protocol';
import { stripControl, type Palette } from './ansi.js';
import { reasonForOutcome } from '@brine/protocol/outcome-reasons';
import { toJson } from './describe.js';
import { createHumanWriter } from './human.js';
import type { OutputOptions, Outputter } from './outputter.js';

const HEADERS = ['ID', 'OUTCOME', 'RETCODE', 'RETURN'] as const;
const GAP = '  ';
const MIN_RETURN_WIDTH = 10;

/** The OUTCOME cell: the outcome identifier, except `failed` for a minion that returned a failure. */
function outcomeCell(r: MinionResult): string {
  return r.outcome === 'returned' && !r.success ? 'failed' : r.outcome;
}

/** The RETURN cell on one line: a string with `\n` shown as `\n`, anything else as compact JSON, a non-return's reason. */
function returnCell(r: MinionResult, timeoutMs: number | undefined): string {
  if (r.outcome !== 'returned') return reasonForOutcome(r, timeoutMs);
  if (typeof r.ret === 'string') return stripControl(r.ret.replace(/\r?\n/g, '\\n').replace(/\t/g, ' '));
  return r.ret === undefined ? '' : stripControl(toJson(r.ret));
}

function truncate(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, Math.max(0, width - 1))}…`;
}

function paintOutcome(p: Palette, r: MinionResult, cell: string): string {
  if (r.outcome !== 'returned') return p.yellow(cell);
  return r.success ? p.green(cell) : p.red(cell);
}

/**
 * `--out table`: one aligned row per minion, sorted by id, written when the job is done:
 * ```
 * ID    OUTCOME    RETCODE  RETURN
 * web1  returned   0        {"kernel":"Linux"}
 * db1   offline    -        offline
 * ```
 * RETURN is cut with `…` to fit `columns`. Live output, if any, is written above the table as it comes.
 */
export function createTableOutputter(options: OutputOptions): Outputter {
  const w = createHumanWriter(options);
  const p = w.palette;
  const results = new Map<string, MinionResult>();
  return {
    start: (e) => w.header(e.jid),
    progress: (e) => w.live(e),
    result({ jid, result }) {
      w.header(jid);
      w.flushLive(result.id);
      if (result.outcome !== 'returned' && options.hideTimeout) return;
      results.set(result.id, result);
    },
    done(e) {
      w.header(e.jid);
      w.flushLive();
      const rows = [...results.values()]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((r) => ({
          r,
          cells: [stripControl(r.id), outcomeCell(r), String(r.retcode ?? '-'), returnCell(r, options.timeoutMs)],
        }));
      const widths = [0, 1, 2].map((i) => Math.max(HEADERS[i]!.length, ...rows.map((row) => row.cells[i]!.length)));
      const fixed = widths.reduce((a, b) => a + b + GAP.length, 0);
      const returnWidth = Math.max(MIN_RETURN_WIDTH, (options.columns ?? 100) - fixed);
      const pad = (s: string, i: number): string => s.padEnd(widths[i]!);
      w.lines([
        [...HEADERS.slice(0, 3).map(pad), HEADERS[3]].join(GAP),
        ...rows.map(({ r, cells: [id, outcome, retcode, ret] }) =>
          [
            pad(id!, 0),
            paintOutcome(p, r, outcome!) + ' '.repeat(widths[1]! - outcome!.length),
            pad(retcode!, 2),
            truncate(ret!, returnWidth),
          ]
            .join(GAP)
            .trimEnd(),
        ),
      ]);
      w.footer(e.summary);
    },
  };
}
