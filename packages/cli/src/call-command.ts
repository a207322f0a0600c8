import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import type { JobStreamEvent, MinionResult } from '@brine/protocol';
import { parseDuration, parseFunctionArgs, UsageError } from './args.js';
import { ApiClient } from './client.js';
import { credentialFlags, resolveCredentials } from './credentials.js';
import { commonOptions, runMain, type Io } from './common.js';
import { CliError } from './errors.js';
import { ExitCode, exitCodeForSummary } from './exit-codes.js';
import { shouldColor } from './output/color.js';
import { OUTPUT_FORMATS, createOutputter, writeEvent } from './output/outputter.js';

/**
 * Where `brine-minion` is: `BRINE_MINION_BIN`, else the sibling package's bin (the workspace
 * and `npm install -g` both lay `@brine/cli` and `@brine/minion` side by side), else PATH.
 * The CLI never imports the minion package; it runs it as a process.
 */
function minionCommand(env: NodeJS.ProcessEnv): string[] {
  if (env['BRINE_MINION_BIN']) return [env['BRINE_MINION_BIN']];
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, '../../minion/dist/bin/brine-minion.js');
  if (existsSync(sibling)) return [process.execPath, sibling];
  return ['brine-minion'];
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
    .addOption(new Option('--out <format>', 'output format').choices([...OUTPUT_FORMATS]).default('nested'))
    .option('--no-color', 'no colours')
    .option('--force-color', 'colours even when not on a terminal');
  commonOptions(program);
  program.addHelpText(
    'after',
    "\nExamples:\n  brine-call --local test.ping\n  brine-call --local cmd.run 'df -h' --out json\n  brine-call grains.items\n",
  );
  program.action(async (fun: string, words: string[], opts: Record<string, unknown>) => {
    const { args, kwargs } = parseFunctionArgs(words);
    const color = shouldColor({
      isTTY: io.stdout.isTTY === true,
      env: io.env,
      noColor: opts['color'] === false,
      forceColor: opts['forceColor'] === true,
    });
    const outputter = createOutputter(opts['out'] as string, {
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
      ...(opts['timeout'] !== undefined ? { timeoutMs: opts['timeout'] } : {}),
      ...(opts['stream'] ? { stream: true } : {}),
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
  const [cmd, ...pre] = minionCommand(io.env);
  const argv = [...pre, 'call'];
  if (opts['config']) argv.push('--config', opts['config'] as string);
  if (opts['id']) argv.push('--id', opts['id'] as string);
  if (opts['stateDir']) argv.push('--state-dir', opts['stateDir'] as string);
  if (opts['timeout'] !== undefined) argv.push('--timeout', String(opts['timeout']));
  const child = spawn(cmd!, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify({ fun, args, kwargs, stream: opts['stream'] === true }));
  const jid = 'local';
  let started = false;
  let buf = '';
  const handle = (line: string) => {
    const msg = JSON.parse(line) as
      | { type: 'progress'; stream: 'stdout' | 'stderr'; data: string }
      | { type: 'result'; id: string; ret: unknown; retcode: number; success: boolean; durationMs: number };
    if (msg.type === 'progress') {
      if (started) feed({ type: 'minion.progress', jid, id: 'local', stream: msg.stream, data: msg.data });
      return;
    }
    if (!started) feed({ type: 'job.started', jid, fun, minions: [msg.id] });
    started = true;
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
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) handle(line);
      }
    });
    child.on('error', (err) =>
      reject(new CliError('ERR_CLI_MINION_MISSING', `cannot run brine-minion for --local: ${err.message}`)),
    );
    child.on('close', (code) => {
      if (!started) {
        io.stderr.write(`brine-call: brine-minion exited with code ${code} before returning a result\n`);
        io.exitCode = ExitCode.INTERNAL;
      }
      resolve();
    });
  });
}

/** Runs `brine-call` with an argv and returns the exit code. */
export function runCall(argv: string[], io: Io): Promise<number> {
  return runMain(callProgram(io), argv, io);
}
