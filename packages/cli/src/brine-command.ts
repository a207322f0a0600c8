import { createWriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import { isCompound, splitTargetList } from '@brine/protocol';
import type { JobRequestInput, JobStreamEvent, MinionResult, TargetTypeValue } from '@brine/protocol';
import { parseBatch, parseDuration, parseFunctionArgs, UsageError } from './args.js';
import { DEFAULT_ARGS_SEPARATOR, compoundArgs } from './compound-args.js';
import { ApiClient } from './client.js';
import { credentialFlags, resolveCredentials } from './credentials.js';
import { ExitCode, exitCodeForSummary } from './exit-codes.js';
import { shouldColor } from './output/color.js';
import { isStateRun, outputChoice, STATE_RUN_TIMEOUT_MS, stateFlags } from './state-flags.js';
import { OUTPUT_FORMATS, createOutputter, writeEvent } from './output/outputter.js';
import { createProgress } from './output/progress.js';
import { commonOptions, runMain, type Io } from './common.js';

const TARGET_FLAGS: [string, string, TargetTypeValue][] = [
  ['-E, --pcre', 'target is a regular expression on minion ids', 'pcre'],
  ['-L, --list', "target is a list of ids: 'web1,web2' or 'web1 web2'", 'list'],
  ['-G, --grain', "target is a grain glob, 'key:glob' (nested keys by ':')", 'grain'],
  ['-P, --grain-pcre', "target is a grain regex, 'key:regex'", 'grain_pcre'],
  ['-I, --pillar', "target is a pillar glob, 'key:glob', resolved on the master from compiled pillar", 'pillar'],
  ['-J, --pillar-pcre', "target is a pillar regex, 'key:regex'", 'pillar_pcre'],
  ['-S, --ipcidr', 'target is an IPv4 address or CIDR', 'ipcidr'],
  ['-N, --nodegroup', 'target is a nodegroup from the master config', 'nodegroup'],
  ['-C, --compound', "target is compound: 'G@os:Debian and web* or not E@db.*'", 'compound'],
];

/** Builds the `brine` program; `io` carries stdout, stderr, env and the exit code. */
export function brineProgram(io: Io): Command {
  const program = new Command('brine')
    .description('Run a function on the minions a target selects.')
    .argument('<target>', 'which minions (a glob on ids unless a target flag says otherwise)')
    .argument('[function]', 'module.function, e.g. test.ping or cmd.run')
    .argument('[args...]', "arguments; 'key=value' words are keyword arguments")
    .option('-t, --timeout <seconds>', 'how long each minion may run the job', (v) =>
      parseDuration(v, { flag: '--timeout' }),
    )
    .option('-b, --batch <n|n%>', 'run on at most this many (or this percentage of) minions at once', (v) =>
      parseBatch(v),
    )
    .option('--batch-size <n|n%>', "the same as -b, by Salt's long name for it", (v) => parseBatch(v))
    .option('--batch-wait <seconds>', 'wait this long after a minion finishes before starting the next', (v) =>
      parseDuration(v, { flag: '--batch-wait', allowZero: true }),
    )
    .option('--failhard', 'start no new minion after the first failure')
    .option('--first <n>', 'finish after the first N successful returns, cancel the rest', (v) =>
      positive(v, '--first'),
    )
    .option('--deadline <seconds>', 'one deadline for the whole job, across batches and retries', (v) =>
      parseDuration(v, { flag: '--deadline', maxMs: 7 * 86_400_000 }),
    )
    .option('--retries <n>', 're-run a failed function on that minion up to N times', (v) =>
      positive(v, '--retries', true),
    )
    .option('--retry-delay <seconds>', 'wait between execution retries', (v) =>
      parseDuration(v, { flag: '--retry-delay', allowZero: true }),
    )
    .option(
      '--args-separator <sep>',
      "between the argument lists of several functions ('test.echo,cmd.run hello,pwd')",
      DEFAULT_ARGS_SEPARATOR,
    )
    .option('--async', 'publish and print the jid without waiting')
    .option('--stream', "show the commands' output live, line by line")
    .option('--preview', 'list the minions the target selects; publish nothing')
    .option('-v, --verbose', 'print the jid and the reason for every non-return')
    .option('--show-jid', 'print the jid')
    .option('--hide-timeout', 'do not print minions that did not return (they still count)')
    .option('--summary', 'print a summary of the job at the end')
    .option('-p, --progress', 'draw a progress bar on a terminal even for small jobs')
    .addOption(
      new Option('--out <format>', 'output format (default: highstate for state.*, else nested)').choices([
        ...OUTPUT_FORMATS,
      ]),
    )
    .option('--out-file <file>', 'write the output to a file instead of stdout')
    .option('--static', "Salt's --static: with --out json or yaml, print Salt's {minion: return} document")
    .option('--no-color', 'no colours')
    .option('--force-color', 'colours even when not on a terminal');
  stateFlags(program);
  for (const [flags, help] of TARGET_FLAGS) program.option(flags, help);
  commonOptions(program);
  program.addHelpText(
    'after',
    `
Examples:
  brine '*' test.ping
  brine -G 'os:Debian' cmd.run 'uname -a'
  brine -C 'web* and C@num_cpus>=4' cmd.run 'systemctl restart nginx' -b 25% --failhard
  brine -L web1,web2 cmd.run 'sleep 5; echo done' --stream -t 30
  brine '*' test.echo,cmd.run hello,'uname -a'     (several functions, results under each)
  brine '*' test.ping --out json | jq .summary.success
  brine '*' state.apply nginx test=True --state-output=changes
  brine events 'brine/job/*'            (stream the event bus; see brine events --help)
  source <(brine completion bash)       (Tab completion for bash; zsh too)

Exit codes: 0 all succeeded; 1 a minion failed; 2 a minion did not return; 3 no minion matched;
64 usage error; 69 master unreachable; 77 authentication or authorization; 70 internal error.`,
  );
  program.action(async (target: string, fun: string | undefined, words: string[], opts: Record<string, unknown>) => {
    const targetTypes = TARGET_FLAGS.filter(([flags]) => opts[camel(flags)] === true).map(([, , t]) => t);
    if (targetTypes.length > 1) throw new UsageError('give at most one target flag (-E -L -G -P -S -N -C)');
    const targetType: TargetTypeValue = targetTypes[0] ?? 'glob';
    const client = new ApiClient(resolveCredentials(credentialFlags(opts), io.env));
    // Salt's CLI split (commas, else whitespace), the same function the master applies to a string.
    const targetValue = targetType === 'list' ? splitTargetList(target) : target;
    if (opts['preview']) {
      const res = await client.json<{ minions: string[] }>('POST', '/api/v1/jobs?preview=true', {
        target: targetValue,
        targetType,
        fun: fun ?? 'test.ping',
      });
      io.stdout.write(res.minions.map((m) => `${m}\n`).join(''));
      io.exitCode = res.minions.length ? ExitCode.OK : ExitCode.NO_MATCH;
      return;
    }
    if (!fun) throw new UsageError('missing the function to run, e.g. test.ping');
    // Several functions (Salt's compound command): one argument list each, results under each name.
    const { args, kwargs } = isCompound(fun)
      ? {
          args: compoundArgs(words, fun.split(',').length, opts['argsSeparator'] as string),
          kwargs: {},
        }
      : parseFunctionArgs(words);
    // A state run on a person's terminal shows each state as it finishes (issue #17).
    const liveStates = outputChoice(fun, opts).format === 'highstate' && !opts['async'];
    const request: JobRequestInput = {
      target: targetValue,
      targetType,
      fun,
      args,
      kwargs,
      ...(opts['timeout'] !== undefined
        ? { timeoutMs: opts['timeout'] as number }
        : isStateRun(fun)
          ? { timeoutMs: STATE_RUN_TIMEOUT_MS }
          : {}),
      ...batchOf(opts),
      ...(opts['batchWait'] !== undefined ? { batchWaitMs: opts['batchWait'] as number } : {}),
      ...(opts['failhard'] ? { failhard: true } : {}),
      ...(opts['first'] !== undefined ? { first: opts['first'] as number } : {}),
      ...(opts['deadline'] !== undefined ? { deadlineMs: opts['deadline'] as number } : {}),
      ...(opts['retries'] !== undefined ? { retries: opts['retries'] as number } : {}),
      ...(opts['retryDelay'] !== undefined ? { retryDelayMs: opts['retryDelay'] as number } : {}),
      ...(opts['stream'] || liveStates ? { stream: true } : {}),
    };
    if (opts['async']) {
      const res = await client.json<{ jid: string; minions: string[] }>('POST', '/api/v1/jobs', request);
      io.stdout.write(`Executed command with job ID: ${res.jid}\n`);
      return;
    }
    await runAndPrint(client, request, opts, io);
  });
  return program;
}

async function runAndPrint(
  client: ApiClient,
  request: JobRequestInput,
  opts: Record<string, unknown>,
  io: Io,
): Promise<void> {
  const file = opts['outFile'] ? createWriteStream(opts['outFile'] as string) : undefined;
  const out = file ?? io.stdout;
  const funName = typeof request.fun === 'string' ? request.fun : request.fun.join(',');
  const { format, ...stateOptions } = outputChoice(funName, opts);
  const color = shouldColor({
    isTTY: !file && io.stdout.isTTY === true,
    env: io.env,
    noColor: opts['color'] === false,
    forceColor: opts['forceColor'] === true,
  });
  const outputter = createOutputter(format, {
    color,
    verbose: opts['verbose'] === true,
    hideTimeout: opts['hideTimeout'] === true,
    showJid: opts['showJid'] === true || opts['verbose'] === true,
    summary: opts['summary'] === true,
    saltStatic: opts['static'] === true,
    out,
    ...stateOptions,
    ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
  });
  const results: MinionResult[] = [];
  let progress: ReturnType<typeof createProgress> | undefined;
  let done = false;
  for await (const line of client.lines('POST', '/api/v1/jobs?stream=ndjson', request)) {
    const e = line as JobStreamEvent;
    if (e.type === 'job.started') {
      const big = e.minions.length >= 50 || request.batch !== undefined;
      const human = !['json', 'ndjson', 'yaml'].includes(format);
      progress = createProgress({
        total: e.minions.length,
        out: io.stderr,
        isTTY: io.stderr.isTTY === true,
        enabled: human && (big || opts['progress'] === true),
      });
    }
    progress?.clear();
    if (e.type === 'minion.result') results.push(e.result);
    if (e.type === 'job.done') {
      progress?.stop();
      done = true;
    }
    writeEvent(outputter, e);
    if (!done) progress?.update(results.length);
    if (e.type === 'job.done') io.exitCode = exitCodeForSummary(e.summary, results);
  }
  if (file) await new Promise((r) => file.end(r));
  if (!done) {
    io.stderr.write('brine: the connection to the master closed before the job finished\n');
    io.exitCode = ExitCode.UNREACHABLE;
  } else if (io.exitCode === ExitCode.JOB_FAILED) {
    io.stderr.write('ERROR: Minions returned with non-zero exit code\n');
  }
}

/** The batch `-b`, `--batch` or Salt's `--batch-size` gave (`-b` first), as the job request takes it. */
export function batchOf(opts: Record<string, unknown>): { batch?: number | `${number}%` } {
  const batch = opts['batch'] ?? opts['batchSize'];
  return batch === undefined ? {} : { batch: batch as number | `${number}%` };
}

function positive(v: string, flag: string, allowZero = false): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    throw new UsageError(`${flag}: expected a whole number${allowZero ? '' : ' above 0'}, got "${v}"`);
  return n;
}

function camel(flags: string): string {
  const long = flags
    .split(',')
    .map((s) => s.trim())
    .find((s) => s.startsWith('--'))!
    .slice(2);
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Runs `brine` with an argv (without node and script) and returns the exit code. */
export function runBrine(argv: string[], io: Io): Promise<number> {
  return runMain(brineProgram(io), argv, io);
}
