import { Option, type Command } from 'commander';
import { UsageError } from './args.js';
import { isStateRun, STATE_OUTPUTS, type StateOutput } from './output/highstate-format.js';

export { isStateRun };
import { defaultFormat } from './output/outputter.js';

/**
 * How long a state run may take on a minion when `--timeout` is not given: a highstate takes
 * minutes where an execution function takes seconds, and the job default (60 s) would report a
 * long run `timed_out` and kill it.
 */
export const STATE_RUN_TIMEOUT_MS = 3_600_000;

/** Adds Salt's `--state-output` and `--state-verbose` (the `highstate` outputter's flags). */
export function stateFlags(program: Command): Command {
  return program
    .addOption(
      new Option('--state-output <mode>', 'highstate: full, terse, mixed (terse unless failed) or changes').choices([
        ...STATE_OUTPUTS,
      ]),
    )
    .option('--state-verbose <bool>', 'highstate: false leaves out states that succeeded without changes');
}

/** The output format, the highstate options and whether to ask for live state results, from the flags. */
export function outputChoice(
  fun: string,
  opts: Record<string, unknown>,
): { format: string; stateOutput?: StateOutput; stateVerbose?: boolean } {
  const format = (opts['out'] as string | undefined) ?? defaultFormat(fun);
  const out: { format: string; stateOutput?: StateOutput; stateVerbose?: boolean } = { format };
  if (opts['stateOutput'] !== undefined) out.stateOutput = opts['stateOutput'] as StateOutput;
  const verbose = opts['stateVerbose'];
  if (typeof verbose === 'string') {
    if (/^(true|yes|1)$/i.test(verbose)) out.stateVerbose = true;
    else if (/^(false|no|0)$/i.test(verbose)) out.stateVerbose = false;
    else throw new UsageError(`--state-verbose: expected true or false, got "${verbose}"`);
  }
  return out;
}
