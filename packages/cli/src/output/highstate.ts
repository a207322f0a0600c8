import type { MinionResult } from '@brine/protocol';
import { stripControl } from './ansi.js';
import { didNotReturnLine } from '@brine/protocol/outcome-reasons';
import {
  formatCompileErrors,
  formatHighstate,
  isCompileErrors,
  isStateReturn,
  type HighstateStyle,
} from './highstate-format.js';
import { createHumanWriter } from './human.js';
import { renderNested } from './nested.js';
import type { OutputOptions, Outputter } from './outputter.js';

/**
 * Salt's `highstate` outputter (salt/output/highstate.py), the default for `state.*`: for each
 * minion every state in run order (ID, Function, Name, Result, Comment, Started, Duration,
 * Changes, diffs as their lines) in Salt's colours, then the summary (Succeeded with changed,
 * Failed, Total states run, Total run time). `--state-output` and `--state-verbose` shape it as
 * in Salt. A return that is not a state run's (an error, `state.show_*`) prints as `nested`;
 * a render or compile failure prints as Salt's "Data failed to compile".
 */
export function createHighstateOutputter(options: OutputOptions): Outputter {
  const w = createHumanWriter(options);
  const p = w.palette;
  const style: HighstateStyle = {
    palette: p,
    stateOutput: options.stateOutput ?? 'full',
    stateVerbose: options.stateVerbose ?? true,
  };
  const block = (r: MinionResult): string[] => {
    const id = stripControl(r.id);
    if (r.outcome !== 'returned') return [`${p.yellow(id)}:`, `    ${p.yellow(didNotReturnLine(r, options))}`];
    if (isStateReturn(r.ret)) return formatHighstate(r.id, r.ret, style);
    if (isCompileErrors(r.ret) && !r.success) return formatCompileErrors(r.id, r.ret, p);
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
