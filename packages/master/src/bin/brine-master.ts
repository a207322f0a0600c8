#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { loadMasterConfig } from '../config.js';
import { MasterError, MasterErrorCode } from '../errors.js';
import { createRootLogger } from '../logger.js';
import { startMaster } from '../main.js';
import { faultsFromEnv } from '../faults.js';
import { checkReactorFiles } from '../reactor/check-reactor.js';
import { encryptPillarValue } from '../pillar/age-secrets.js';
import { ageKeyPath } from '../pillar/pillar-setup.js';

const int = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`${flag} takes a port number, got '${v}'`);
  return n;
};

const program = new Command('brine-master')
  .description('The Brine master: holds minion connections, publishes jobs, gathers returns, serves the REST API.')
  // Options after a subcommand (`encrypt --state-dir`) are the subcommand's.
  .enablePositionalOptions()
  .option('-c, --config <file>', 'YAML config file (see docs/config-master.md)')
  .option('--interface <host>', 'address the minion listener binds')
  .option('--port <port>', 'minion listener port', int('--port'))
  .option('--api-host <host>', 'address the REST API binds')
  .option('--api-port <port>', 'REST API port', int('--api-port'))
  .option('--state-dir <dir>', 'where keys, the job cache and the local admin credential live')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
  .option('--insecure-plain-ws', 'plain WebSocket instead of TLS (loopback interface only)')
  .option('--check-config', 'validate the config and exit')
  .addHelpText(
    'after',
    '\nExamples:\n  brine-master -c /etc/brine/master.yaml\n  brine-master --state-dir ./state --port 4506 --api-port 4507\n',
  )
  .action(async (opts) => {
    let config;
    try {
      config = loadMasterConfig(opts.config, {
        interface: opts.interface,
        port: opts.port,
        'api.host': opts.apiHost,
        'api.port': opts.apiPort,
        state_dir: opts.stateDir,
        log_level: opts.logLevel,
        insecure_plain_ws: opts.insecurePlainWs,
      });
    } catch (err) {
      process.stderr.write(`brine-master: ${(err as Error).message}\n`);
      process.exit(78);
    }
    if (opts.checkConfig) {
      // Reactor SLS files are checked too: a broken one is found now, never at 3 a.m.
      const problems = await checkReactorFiles(config.reactor, { fileRoots: config.file_roots });
      if (problems.length > 0) {
        process.stderr.write(problems.map((p) => `brine-master: ${p}\n`).join(''));
        process.exit(78);
      }
      process.stdout.write(JSON.stringify(config, null, 2) + '\n');
      return;
    }
    const log = await createRootLogger(config.log_level, 'brine-master');
    let master;
    try {
      // BRINE_FAULT crashes the master at a chosen point, for the fault-injection suite only.
      const faults = faultsFromEnv(process.env['BRINE_FAULT'], () => process.kill(process.pid, 'SIGKILL'));
      master = await startMaster(config, log, faults);
    } catch (err) {
      const code = err instanceof MasterError ? err.code : MasterErrorCode.start;
      log.fatal({ code, err: (err as Error).message }, 'master failed to start');
      process.stderr.write(`brine-master: ${(err as Error).message}\n`);
      process.exit(1);
    }
    const stop = (signal: string) => {
      log.info({ signal }, 'signal received');
      void master.stop().then(() => process.exit(0));
      setTimeout(() => process.exit(1), 10_000).unref();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

program
  .command('encrypt')
  .description("Encrypt a pillar value for this master's age recipient; prints ENC[age,...] for a pillar file.")
  .argument('[value]', 'the clear text (read from stdin when omitted, so it stays out of shell history)')
  .option('-c, --config <file>', 'YAML config file, for state_dir and pillar_age_key')
  .option('--state-dir <dir>', "the master's state dir")
  .option('--recipient <recipient>', 'encrypt for this recipient instead of the one in the state dir')
  .addHelpText('after', "\nExamples:\n  printf %s 'hunter2' | brine-master encrypt -c /etc/brine/master.yaml\n")
  .action(async (value: string | undefined, opts: { config?: string; stateDir?: string; recipient?: string }) => {
    try {
      const config = loadMasterConfig(opts.config, { state_dir: opts.stateDir });
      const recipient = opts.recipient ?? readFileSync(`${ageKeyPath(config)}.pub`, 'utf8').trim();
      const text = value ?? readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      process.stdout.write(`${await encryptPillarValue(recipient, text)}\n`);
    } catch (err) {
      process.stderr.write(`brine-master encrypt: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

await program.parseAsync();
