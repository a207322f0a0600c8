import type { ProgressStreamValue } from '@brine/protocol';
import { loadMinionConfig } from '../config.js';
import { createRootLogger } from '../logger.js';
import { callLocal, type LocalResult } from '../local-call.js';

/** What `brine-call --local` asks for: one function with its arguments. */
export interface LocalCallRequest {
  fun: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** Report stdout/stderr chunks as they come (`--stream`), and each state's result. */
  stream?: boolean;
  /**
   * Report each state's result the moment it is known (the `state` progress stream), without
   * the commands' output: what `brine-call --local` asks for when it prints highstate.
   */
  states?: boolean;
}

/** Where the call runs: the minion's config file, id and state directory, and its time limit. */
export interface LocalCallOptions {
  config?: string;
  id?: string;
  stateDir?: string;
  timeoutMs: number;
  /** Salt's `--file-root`: where SLS files and `brine://` sources are read. */
  fileRoot?: string;
  /** Salt's `--pillar-root`: a pillar tree with its own top.sls. */
  pillarRoot?: string;
  /**
   * Imports an ES module by URL, for installed extensions: this bundle may be compiled through
   * vm.Script, where Node 20 allows `import()` only behind a flag. @default `import()`
   */
  importModule?: (url: string) => Promise<unknown>;
}

/** One line of what a local call reports: a chunk of output, then the result. */
export type LocalCallLine =
  { type: 'progress'; id: string; stream: ProgressStreamValue; data: string } | ({ type: 'result' } & LocalResult);

/**
 * Runs one function on this host without a master and reports it line by line: the body of
 * `brine-minion call`, and what `brine-call --local` loads in its own process from the bundle
 * `dist/brine-call-local.cjs`, so a local call costs one Node start, not two.
 */
export async function runLocalCall(
  req: LocalCallRequest,
  opts: LocalCallOptions,
  report: (line: LocalCallLine) => void,
): Promise<void> {
  const config = loadMinionConfig(opts.config, { id: opts.id, state_dir: opts.stateDir, log_level: 'silent' });
  const log = await createRootLogger('silent', 'brine-call');
  const result = await callLocal(
    {
      id: config.id,
      stateDir: config.state_dir,
      grains: config.grains,
      timeoutMs: opts.timeoutMs,
      log,
      fileRoot: opts.fileRoot,
      pillarRoot: opts.pillarRoot,
      importModule: opts.importModule,
    },
    req.fun,
    req.args ?? [],
    req.kwargs ?? {},
    (stream, data) => {
      if (req.stream || (req.states && stream === 'state')) report({ type: 'progress', id: config.id, stream, data });
    },
  );
  report({ type: 'result', ...result });
}
