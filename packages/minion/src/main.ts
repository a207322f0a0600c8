/**
 * The minion daemon's composition root. Lifecycle:
 * 1. take a validated config (bin/brine-minion.ts reads the YAML file and flags)
 * 2. load or make the minion's key; refuse a key readable by others
 * 3. open the outbox and the jid log; report jobs cut short by a restart as `interrupted`
 * 4. collect grains
 * 5. build the function registry and the executor
 * 6. connect to the master after a random splay, and keep reconnecting with jittered backoff
 * 7. on stop: close the connection; running jobs are killed, their returns stay in the outbox
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { MinionConfig } from './config.js';
import { MasterConnection } from './connection/connection.js';
import { FileClient } from './connection/file-client.js';
import { fileMasterPin } from './connection/master-pin.js';
import { Executor } from './executor/executor.js';
import { directVerifier } from './executor/job-verifier.js';
import { createGrainsAccess } from './grains/grains-access.js';
import { loadOrCreateMinionKey } from './identity.js';
import { createRegistry } from './modules/registry.js';
import { BRINE_VERSION } from './modules/version.js';
import { FileJidLog } from './outbox/jid-log.js';
import { FileOutbox } from './outbox/outbox.js';
import { validateMinionId } from '@brine/protocol';
import { MinionError } from './errors.js';

/** A running minion daemon. */
export interface RunningMinion {
  id: string;
  stop(): Promise<void>;
}

/** Starts a minion daemon from a validated config. */
export async function startMinion(config: MinionConfig, log: Logger): Promise<RunningMinion> {
  const valid = validateMinionId(config.id);
  if (!valid.ok)
    throw new MinionError(valid.error.code, `minion id ${JSON.stringify(config.id)}: ${valid.error.message}`);
  const stateDir = config.state_dir;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const key = loadOrCreateMinionKey(join(stateDir, 'pki'));
  const outbox = new FileOutbox(join(stateDir, 'outbox'));
  const jidLog = new FileJidLog(join(stateDir, 'jids.log'), Date.now());
  const cacheDir = join(stateDir, 'cache');
  mkdirSync(cacheDir, { recursive: true });

  // Assigned below; closures built before it (grains, files) reach it through this binding.
  // eslint-disable-next-line prefer-const
  let connection: MasterConnection | undefined;
  const grains = await createGrainsAccess({
    id: config.id,
    configured: config.grains,
    file: join(stateDir, 'grains.json'),
    onChange: (g) => connection?.sendGrains(g),
  });
  const files = new FileClient((frame) => connection?.send(frame) ?? false);
  const executor = new Executor({
    id: config.id,
    registry: createRegistry(),
    outbox,
    jidLog,
    grains,
    files,
    log: log.child({ component: 'executor' }),
    verifier: directVerifier,
    maxConcurrent: config.max_concurrent_jobs,
    maxQueued: config.max_queued_jobs,
    maxOutputBytes: config.max_output_bytes,
    cacheDir,
    now: () => Date.now(),
  });
  const prune = setInterval(() => jidLog.prune(Date.now()), 600_000);
  prune.unref();

  connection = new MasterConnection({
    id: config.id,
    url: config.masters[0]!,
    urls: config.masters,
    order: config.master_type,
    privateKey: key.privateKey,
    publicRaw: key.publicRaw,
    pin: fileMasterPin(join(stateDir, 'pki', 'master.fingerprint'), config.master_fingerprint),
    log: log.child({ component: 'connection' }),
    version: BRINE_VERSION,
    grains: () => grains.all(),
    running: () => executor.runningJids(),
    onReady: (session) => executor.attach(session),
    onFrame: (frame, session) => {
      if (frame.type === 'file.chunk' || frame.type === 'file.listing') files.onFrame(frame);
      else executor.onFrame(frame, session);
    },
    onClosed: () => {
      executor.detach();
      files.failAll();
    },
    backoff: { baseMs: config.reconnect_base_ms, capMs: config.reconnect_cap_ms },
    maxFrameBytes: config.max_frame_bytes,
    ...(config.enroll_token ? { enrollToken: config.enroll_token } : {}),
  });
  connection.start(config.startup_splay_ms);
  log.info({ id: config.id, masters: config.masters }, 'minion started');

  return {
    id: config.id,
    stop: async () => {
      clearInterval(prune);
      for (const jid of executor.runningJids()) executor.kill(jid);
      // Give killed jobs a moment to write their returns to the outbox.
      const deadline = Date.now() + 3000;
      while (executor.runningJids().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      connection?.stop();
    },
  };
}
