import type { MinionResult } from '@brine/protocol';
import { stripControl, type Palette } from './ansi.js';
import { didNotReturnLine } from '@brine/protocol/outcome-reasons';
import { createHumanWriter } from './human.js';
import type { OutputOptions, Outputter } from './outputter.js';

/** How {@link renderNested} colours one return. */
export interface NestedStyle {
  palette: Palette;
  /** The minion returned a failure: keys, values and separators turn red. */
  failed: boolean;
}

/**
 * Renders a value the way Salt's `nested` outputter does (salt/output/nested.py): a mapping is
 * `----------` then `key:` lines with the value 4 spaces deeper, a list is `- item` lines (`|_`
 * before a nested list or mapping), a string one line per line, and `null`/booleans are `None`,
 * `True`, `False`. Unlike Salt, keys keep the order the minion sent instead of being sorted.
 */
export function renderNested(value: unknown, indent: number, style: NestedStyle): string[] {
  const out: string[] = [];
  display(value, indent, '', style, out);
  return out;
}

function display(v: unknown, indent: number, prefix: string, s: NestedStyle, out: string[]): void {
  const pad = ' '.repeat(indent);
  const { palette: p } = s;
  const structure = s.failed ? p.red : p.cyan;
  const text = s.failed ? p.red : p.green;
  if (v === null || v === undefined || typeof v === 'boolean') {
    out.push(pad + p.lightYellow(prefix + (v === true ? 'True' : v === false ? 'False' : 'None')));
  } else if (typeof v === 'number' || typeof v === 'bigint') {
    out.push(pad + p.lightYellow(prefix + String(v)));
  } else if (typeof v === 'string') {
    splitLines(stripControl(v)).forEach((line, i) => {
      out.push(pad + text((i === 0 ? prefix : ' '.repeat(prefix.length)) + line));
    });
  } else if (Array.isArray(v)) {
    for (const item of v as unknown[]) {
      if (typeof item === 'object' && item !== null) {
        out.push(pad + structure('|_'));
        display(item, indent + 2, Array.isArray(item) ? '- ' : '', s, out);
      } else {
        display(item, indent, '- ', s, out);
      }
    }
  } else if (typeof v === 'object') {
    if (indent > 0) out.push(pad + structure('----------'));
    for (const [key, val] of Object.entries(v)) {
      out.push(pad + structure(prefix + stripControl(key)) + ':');
      display(val, indent + 4, '', s, out);
    }
  } else {
    out.push(pad + text(prefix + stripControl(String(v))));
  }
}

/** Python's `str.splitlines`: no lines for `''`, and no empty last line after a final newline. */
function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split(/\r\n|\n|\r/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Salt's default `nested` format, written as each result arrives:
 * ```
 * web1:
 *     ----------
 *     kernel:
 *         Linux
 * db1:
 *     Minion did not return. [offline]
 * ```
 * The id is cyan for success, red for a failure and yellow for a non-return.
 */
export function createNestedOutputter(options: OutputOptions): Outputter {
  const w = createHumanWriter(options);
  const p = w.palette;
  const block = (r: MinionResult): string[] => {
    const id = stripControl(r.id);
    if (r.outcome !== 'returned') return [`${p.yellow(id)}:`, `    ${p.yellow(didNotReturnLine(r, options))}`];
    const idColor = r.success ? p.cyan : p.red;
    return [`${idColor(id)}:`, ...renderNested(r.ret, 4, { palette: p, failed: !r.success })];
  };
  return {
    start: (e) => w.header(e.jid),
    progress: (e) => w.live(e),
    result(e) {
      w.header(e.jid);
      w.flushLive(e.result.id);
      if (e.result.outcome !== 'returned' && options.hideTimeout) return;
      w.lines(block(e.result));
    },
    done: (e) => w.footer(e.summary),
  };
}
