import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import type { JobStreamEvent, MinionResult, ProgressStreamValue } from '@brine/protocol';
import { parseDuration, parseFunctionArgs, UsageError } from './args.js';
import { ApiClient } from './client.js';
import { codeCacheDir, loadWithCodeCache } from './code-cache.js';
import { credentialFlags, resolveCredentials } from './credentials.js';
import { commonOptions, runMain, type Io } from './common.js';
import { CliError, CliErrorCode } from './errors.js';
import { ExitCode, exitCodeForSummary } from './exit-codes.js';
import { shouldColor } from './output/color.js';
import { isStateRun, outputChoice, STATE_RUN_TIMEOUT_MS, stateFlags } from './state-flags.js';
import { OUTPUT_FORMATS, createOutputter, writeEvent } from './output/outputter.js';

/**
 * Where `brine-minion` is: `BRINE_MINION_BIN`, else the sibling package's bin (the workspace
 * and `npm install -g` both lay `@brine/cli` and `@brine/minion` side by side), else PATH.
 * The CLI never imports the minion package; it runs it as a process.
 */
function minionCommand(env: NodeJS.ProcessEnv): string[] {
  if (env['BRINE_MINION_BIN']) return [env['BRINE_MINION_BIN']];
  const sibling = minionPackageFile('dist/bin/brine-minion.js');
  if (sibling) return [process.execPath, sibling];
  return ['brine-minion'];
}

/**
 * A file of the `@brine/minion` package laid beside this one (in the workspace and in
 * `node_modules/@brine/`), found from this package's root, so the answer is the same from
 * the unbundled build (`dist/`) and from the bundle's chunks (`dist/bundle/chunks/`).
 */
function minionPackageFile(rel: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
  const file = join(dir, '../minion', rel);
  return existsSync(file) ? file : undefined;
}

/** The minion's local-call bundle's one export (`packages/minion/src/bin/local-call-entry.ts`). */
type RunLocalCall = (
  req: { fun: string; args: unknown[]; kwargs: Record<string, unknown>; stream: boolean; states: boolean },
  opts: {
    config?: string;
    id?: string;
    stateDir?: string;
    timeoutMs: number;
    fileRoot?: string;
    pillarRoot?: string;
    importModule?: (url: string) => Promise<unknown>;
  },
  report: (line: LocalLine) => void,
) => Promise<void>;

/** One line of a local call's report, in process or from `brine-minion call`'s stdout. */
type LocalLine =
  | { type: 'progress'; id: string; stream: ProgressStreamValue; data: string }
  | { type: 'result'; id: string; ret: unknown; retcode: number; success: boolean; durationMs: number };

/**
 * The minion's local call loaded into this process, when the sibling package ships its bundle
 * (`dist/brine-call-local.cjs`) and `BRINE_MINION_BIN` does not ask for a process: a second
 * Node start and its module loading were most of a local call's time. The bundle is compiled
 * with V8's code cache (see {@link loadWithCodeCache}); `save` keeps the code once the call is
 * done. As with the spawned daemon, the CLI reaches the minion only through what the minion
 * package ships, never its source.
 */
function inProcessLocalCall(env: NodeJS.ProcessEnv): { run: RunLocalCall; save: () => void } | undefined {
  if (env['BRINE_MINION_BIN']) return undefined;
  const bundle = minionPackageFile('dist/brine-call-local.cjs');
  if (!bundle) return undefined;
  const mod = loadWithCodeCache(bundle, codeCacheDir(env));
  const run = mod.exports['runLocalCall'] as RunLocalCall | undefined;
  return run === undefined ? undefined : { run, save: () => mod.save() };
}

/** Builds `brine-call`: run a function on this host, with `brine`'s output and exit codes. */
export function callProgram(io: Io): Command {
  const program = new Command('brine-call')
    .description("Run a function on this host (Salt's salt-call). With --local no master is needed.")
    .argument('<function>', 'module.function')
    .argument('[args...]', "arguments; 'key=value' words are keyword arguments")
    .option('--local', 'run here, in this process tree, without a master')
    .option('--id <id>', "this minion's id (default: the host name)")
    .option('-c, --config <file>', 'minion config file (for --local: id, grains, state_dir)')
    .option('--state-dir <dir>', 'minion state directory, for --local')
    .option('-t, --timeout <seconds>', 'time limit', (v) => parseDuration(v, { flag: '--timeout' }))
    .option('--stream', 'show command output live')
    .addOption(
      new Option('--out <format>', 'output format (default: highstate for state.*, else nested)').choices([
        ...OUTPUT_FORMATS,
      ]),
    )
    .option(
      '--file-root <dir>',
      "with --local: where SLS files and brine:// sources are read (salt-call's --file-root)",
    )
    .option('--pillar-root <dir>', 'with --local: a pillar tree with its own top.sls')
    // Salt's salt-call needs it to exit non-zero on a failure; scripts (Packer, Vagrant, CI) pass
    // it out of habit. brine-call always exits with the documented codes, so it changes nothing.
    .option('--retcode-passthrough', "accepted for salt-call scripts: brine-call's exit code always says what failed")
    .option('--no-color', 'no colours')
    .option('--force-color', 'colours even when not on a terminal');
  stateFlags(program);
  commonOptions(program);
  program.addHelpText(
    'after',
    "\nExamples:\n  brine-call --local test.ping\n  brine-call --local --file-root ./examples/states state.apply test=True\n  brine-call --local cmd.run 'df -h' --out json\n  brine-call grains.items\n",
  );
  program.action(async (fun: string, words: string[], opts: Record<string, unknown>) => {
    const { args, kwargs } = parseFunctionArgs(words);
    const color = shouldColor({
      isTTY: io.stdout.isTTY === true,
      env: io.env,
      noColor: opts['color'] === false,
      forceColor: opts['forceColor'] === true,
    });
    const { format, ...stateOptions } = outputChoice(fun, opts);
    const outputter = createOutputter(format, {
      ...stateOptions,
      color,
      verbose: false,
      hideTimeout: false,
      showJid: false,
      summary: false,
      out: io.stdout,
    });
    const results: MinionResult[] = [];
    const feed = (e: JobStreamEvent) => {
      if (e.type === 'minion.result') results.push(e.result);
      writeEvent(outputter, e);
      if (e.type === 'job.done') io.exitCode = exitCodeForSummary(e.summary, results);
    };
    if (opts['local']) {
      await runLocal(fun, args, kwargs, opts, io, feed);
      return;
    }
    const id = (opts['id'] as string | undefined) ?? hostname();
    const client = new ApiClient(resolveCredentials(credentialFlags(opts), io.env));
    for await (const line of client.lines('POST', '/api/v1/jobs?stream=ndjson', {
      target: [id],
      targetType: 'list',
      fun,
      args,
      kwargs,
      ...(opts['timeout'] !== undefined
        ? { timeoutMs: opts['timeout'] }
        : isStateRun(fun)
          ? { timeoutMs: STATE_RUN_TIMEOUT_MS }
          : {}),
      ...(opts['stream'] || format === 'highstate' ? { stream: true } : {}),
    })) {
      feed(line as JobStreamEvent);
    }
  });
  return program;
}

async function runLocal(
  fun: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
  opts: Record<string, unknown>,
  io: Io,
  feed: (e: JobStreamEvent) => void,
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/i.test(fun)) throw new UsageError(`"${fun}" is not module.function`);
  const jid = 'local';
  let started = false;
  let returned = false;
  // The call is announced with its first line, so live lines print while it runs (issue #17).
  const start = (id: string) => {
    if (!started) feed({ type: 'job.started', jid, fun, minions: [id] });
    started = true;
  };
  const handle = (msg: LocalLine) => {
    if (msg.type === 'progress') {
      start(msg.id);
      feed({ type: 'minion.progress', jid, id: msg.id, stream: msg.stream, data: msg.data });
      return;
    }
    start(msg.id);
    returned = true;
    const result: MinionResult = {
      id: msg.id,
      outcome: 'returned',
      success: msg.success,
      retcode: msg.retcode,
      ret: msg.ret,
      durationMs: msg.durationMs,
    };
    feed({ type: 'minion.result', jid, result });
    feed({
      type: 'job.done',
      jid,
      summary: {
        jid,
        fun,
        targeted: 1,
        returned: 1,
        succeeded: msg.success ? 1 : 0,
        failed: msg.success ? 0 : 1,
        didNotReturn: 0,
        success: msg.success,
        durationMs: msg.durationMs,
      },
    });
  };
  const timeoutMs = (opts['timeout'] as number | undefined) ?? 3_600_000;
  // As `brine` through a master: a state run printed as highstate shows each state as it ends.
  const states = outputChoice(fun, opts).format === 'highstate';
  const inProcess = inProcessLocalCall(io.env);
  if (inProcess) {
    await inProcess.run(
      { fun, args, kwargs, stream: opts['stream'] === true, states },
      {
        timeoutMs,
        // The bundle runs from vm.Script, where import() needs a flag: extensions load through ours.
        importModule: (url: string) => import(url),
        ...(opts['config'] ? { config: opts['config'] as string } : {}),
        ...(opts['id'] ? { id: opts['id'] as string } : {}),
        ...(opts['stateDir'] ? { stateDir: opts['stateDir'] as string } : {}),
        ...(opts['fileRoot'] ? { fileRoot: opts['fileRoot'] as string } : {}),
        ...(opts['pillarRoot'] ? { pillarRoot: opts['pillarRoot'] as string } : {}),
      },
      handle,
    );
    inProcess.save();
  } else await spawnLocalCall({ fun, args, kwargs, opts, timeoutMs, io, states }, handle);
  if (!returned) {
    io.stderr.write('brine-call: the local call ended before returning a result\n');
    io.exitCode = ExitCode.INTERNAL;
  }
}

/** Runs `brine-minion call` as a process and feeds its report lines to `handle`. */
async function spawnLocalCall(
  call: {
    fun: string;
    args: unknown[];
    kwargs: Record<string, unknown>;
    opts: Record<string, unknown>;
    timeoutMs: number;
    io: Io;
    states: boolean;
  },
  handle: (line: LocalLine) => void,
): Promise<void> {
  const { opts } = call;
  const [cmd, ...pre] = minionCommand(call.io.env);
  const argv = [...pre, 'call', '--timeout', String(call.timeoutMs)];
  if (opts['config']) argv.push('--config', opts['config'] as string);
  if (opts['id']) argv.push('--id', opts['id'] as string);
  if (opts['stateDir']) argv.push('--state-dir', opts['stateDir'] as string);
  if (opts['fileRoot']) argv.push('--file-root', opts['fileRoot'] as string);
  if (opts['pillarRoot']) argv.push('--pillar-root', opts['pillarRoot'] as string);
  const child = spawn(cmd!, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(
    JSON.stringify({
      fun: call.fun,
      args: call.args,
      kwargs: call.kwargs,
      stream: opts['stream'] === true,
      states: call.states,
    }),
  );
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) handle(JSON.parse(line) as LocalLine);
      }
    });
    child.on('error', (err) =>
      reject(new CliError(CliErrorCode.minionMissing, `cannot run brine-minion for --local: ${err.message}`)),
    );
    child.on('close', () => resolve());
  });
}

/** Runs `brine-call` with an argv and returns the exit code. */
export function runCall(argv: string[], io: Io): Promise<number> {
  return runMain(callProgram(io), argv, io);
}
