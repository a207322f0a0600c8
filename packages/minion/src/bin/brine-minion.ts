#!/usr/bin/env node
import { tmpdir } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadMinionConfig } from '../config.js';
import { MinionError, MinionErrorCode } from '../errors.js';
import { createRootLogger } from '../logger.js';
import { startMinion } from '../main.js';
import type { MasterOrderValue } from '../connection/master-list.js';
import { startSwarm } from '../swarm.js';
import { runLocalCall, type LocalCallRequest } from './local-call-entry.js';

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} takes a whole number, got '${v}'`);
  return n;
};

const program = new Command('brine-minion')
  // The daemon's options and the subcommands' share names (--master, --log-level): parse each
  // only where it stands, or `swarm --master X` would set the daemon's option instead.
  .enablePositionalOptions()
  .description('The Brine minion daemon: connects to the master and runs the jobs it is sent.')
  .option('-c, --config <file>', 'YAML config file (see docs/config-minion.md)')
  .option('--master <url>', 'master endpoint, e.g. wss://master.example:4506')
  .option('--id <id>', 'minion id (default: host name)')
  .option('--state-dir <dir>', 'keys, outbox and jid log live here')
  .option('--master-fingerprint <fp>', "pin the master's key fingerprint")
  .option('--splay <ms>', 'random delay before the first connect', positiveInt('--splay'))
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
  .option('--insecure-plain-ws', 'allow a ws:// master on loopback')
  .option('--check-config', 'validate the config and exit')
  .addHelpText(
    'after',
    '\nExamples:\n  brine-minion -c /etc/brine/minion.yaml\n  brine-minion --master wss://10.0.0.5:4506 --id web1\n  brine-minion swarm --count 1000 --id-prefix swarm- --master wss://127.0.0.1:4506\n',
  )
  .action(async (opts) => {
    let config;
    try {
      config = loadMinionConfig(opts.config, {
        master: opts.master,
        id: opts.id,
        state_dir: opts.stateDir,
        master_fingerprint: opts.masterFingerprint,
        startup_splay_ms: opts.splay,
        log_level: opts.logLevel,
        insecure_plain_ws: opts.insecurePlainWs,
      });
    } catch (err) {
      process.stderr.write(`brine-minion: ${(err as Error).message}\n`);
      process.exit(78);
    }
    if (opts.checkConfig) {
      process.stdout.write(JSON.stringify(config, null, 2) + '\n');
      return;
    }
    const log = await createRootLogger(config.log_level, 'brine-minion');
    let minion;
    try {
      minion = await startMinion(config, log);
    } catch (err) {
      log.fatal(
        { code: err instanceof MinionError ? err.code : MinionErrorCode.start, err: (err as Error).message },
        'minion failed to start',
      );
      process.stderr.write(`brine-minion: ${(err as Error).message}\n`);
      process.exit(1);
    }
    const stop = () => void minion.stop().then(() => process.exit(0));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });

program
  .command('swarm')
  .description('Run many virtual minions in one process, for load and fault tests.')
  .requiredOption('--count <n>', 'number of minions', positiveInt('--count'))
  .option('--id-prefix <prefix>', 'id prefix; ids are prefix + a zero-padded index', 'swarm-')
  .option('--master <url>', 'master endpoint, or several comma-separated (spread evenly)', 'wss://127.0.0.1:4506')
  .addOption(
    new Option('--master-type <type>', 'with several masters: failover (next in the list) or random')
      .choices(['failover', 'random'])
      .default('failover'),
  )
  .option('--master-fingerprint <fp>', "pin the master's key fingerprint")
  .option(
    '--source-addresses <n>',
    'spread connections over 127.0.0.1..127.0.0.n',
    positiveInt('--source-addresses'),
    1,
  )
  .option('--splay <ms>', 'spread first connects over this many ms', positiveInt('--splay'), 0)
  .option('--reconnect-base <ms>', 'backoff base', positiveInt('--reconnect-base'), 1000)
  .option('--reconnect-cap <ms>', 'backoff cap', positiveInt('--reconnect-cap'), 30000)
  .option('--status-every <ms>', 'print {"connected": n} every so often', positiveInt('--status-every'), 1000)
  .option('--log-level <level>', 'log level', 'warn')
  .option('--state-dir <dir>', "keep each minion's key, outbox and jid log under <dir>/<id> (survives a restart)")
  .action(async (opts) => {
    const log = await createRootLogger(opts.logLevel, 'brine-swarm');
    const addresses = Array.from({ length: opts.sourceAddresses }, (_, i) => `127.0.0.${i + 1}`);
    const swarm = await startSwarm({
      count: opts.count,
      idPrefix: opts.idPrefix,
      url: String(opts.master).split(','),
      order: opts.masterType as MasterOrderValue,
      ...(opts.masterFingerprint ? { masterFingerprint: opts.masterFingerprint } : {}),
      log,
      localAddresses: opts.sourceAddresses > 1 ? addresses : [],
      splayMs: opts.splay,
      cacheDir: tmpdir(),
      reconnectBaseMs: opts.reconnectBase,
      reconnectCapMs: opts.reconnectCap,
      ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
    });
    const status = setInterval(
      () =>
        process.stdout.write(JSON.stringify({ connected: swarm.connected(), rss: process.memoryUsage.rss() }) + '\n'),
      opts.statusEvery,
    );
    const stop = () => {
      clearInterval(status);
      swarm.stop();
      setTimeout(() => process.exit(0), 200);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });

program
  .command('call')
  .description(
    'Run one function on this host without a master; reads {fun, args, kwargs} as JSON on stdin (used by brine-call --local).',
  )
  .option('-c, --config <file>', 'YAML config file')
  .option('--id <id>', 'minion id (default: from the config, else the host name)')
  .option('--state-dir <dir>', 'state directory (grains.json, cache)')
  .option('-t, --timeout <ms>', 'time limit', positiveInt('--timeout'), 3_600_000)
  .option('--file-root <dir>', 'where SLS files and brine:// sources are read (state.*, cp.*)')
  .option('--pillar-root <dir>', 'a pillar tree with its own top.sls')
  .action(async (opts) => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const req = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as LocalCallRequest;
    await runLocalCall(
      req,
      {
        config: opts.config,
        id: opts.id,
        stateDir: opts.stateDir,
        timeoutMs: opts.timeout,
        fileRoot: opts.fileRoot,
        pillarRoot: opts.pillarRoot,
      },
      (line) => process.stdout.write(JSON.stringify(line) + '\n'),
    );
  });

await program.parseAsync();
