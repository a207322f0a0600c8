import { stripControl } from './ansi.js';
import { didNotReturnLine } from '@brine/protocol/outcome-reasons';
import { toJson } from './describe.js';
import { createHumanWriter } from './human.js';
import type { OutputOptions, Outputter } from './outputter.js';

/**
 * Salt's `txt` format (salt/output/txt.py), written as each result arrives: `id: value`, one line
 * per line of a string return (so `grep '^web1: '` finds all of web1's output), other values as
 * compact JSON on one line, and `id: Minion did not return. [offline]` for a non-return.
 */
export function createTxtOutputter(options: OutputOptions): Outputter {
  const w = createHumanWriter(options);
  return {
    start: (e) => w.header(e.jid),
    result({ jid, result: r }) {
      w.header(jid);
      if (r.outcome !== 'returned' && options.hideTimeout) return;
      const id = stripControl(r.id);
      const value = r.outcome !== 'returned' ? didNotReturnLine(r, options) : r.ret;
      if (typeof value !== 'string') {
        w.lines([`${id}: ${value === undefined ? 'null' : toJson(value)}`]);
        return;
      }
      const text = stripControl(value).replace(/\n$/, '');
      w.lines(text.split('\n').map((line) => `${id}: ${line}`));
    },
    done: (e) => w.footer(e.summary),
  };
}

/**
 * Salt's `raw` format: `{"<id>": <return>}` per minion, one JSON object a line as results arrive
 * (Salt prints a Python repr; JSON is what a script can read back). A non-return's value is the
 * `Minion did not return. [...]` text, as in Salt.
 */
export function createRawOutputter(options: OutputOptions): Outputter {
  const w = createHumanWriter(options);
  return {
    start: (e) => w.header(e.jid),
    result({ jid, result: r }) {
      w.header(jid);
      if (r.outcome !== 'returned' && options.hideTimeout) return;
      const value = r.outcome !== 'returned' ? didNotReturnLine(r, options) : (r.ret ?? null);
      w.lines([toJson({ [r.id]: value })]);
    },
    done: (e) => w.footer(e.summary),
  };
}
