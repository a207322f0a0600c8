import type { Logger } from 'pino';
import { generateKeyPair, loadKeyPair } from '@brine/protocol';
import { MasterConnection } from './connection/connection.js';
import { FileClient } from './connection/file-client.js';
import { memoryMasterPin } from './connection/master-pin.js';
import { Executor } from './executor/executor.js';
import { memoizingVerifier } from './executor/job-verifier.js';
import { collectGrains } from './grains/collect.js';
import { createRegistry } from './modules/registry.js';
import type { GrainsAccess } from './modules/types.js';
import { BRINE_VERSION } from './modules/version.js';
import { join } from 'node:path';
import { loadOrCreateMinionKey } from './identity.js';
import { FileJidLog, MemoryJidLog } from './outbox/jid-log.js';
import { FileOutbox, MemoryOutbox } from './outbox/outbox.js';

/** Options for {@link startSwarm}. */
export interface SwarmOptions {
  count: number;
  idPrefix: string;
  url: string;
  masterFingerprint?: string;
  log: Logger;
  /** Source addresses to spread connections over (loopback runs out of ports past ~14k per address). */
  localAddresses: string[];
  /** Spread the first connects over this many ms. */
  splayMs: number;
  cacheDir: string;
  reconnectBaseMs: number;
  reconnectCapMs: number;
  /**
   * Keep each virtual minion's key, outbox and jid log under `<stateDir>/<id>/`, so a swarm
   * killed and restarted comes back as the same minions with their unacked returns and their
   * record of jobs run (without fsync: they survive a kill, not a power loss). In memory when
   * absent.
   */
  stateDir?: string;
}

/** A running swarm. */
export interface Swarm {
  connected(): number;
  stop(): void;
}

/**
 * Runs many virtual minions in one process, for load and fault tests (Salt ships minionswarm for
 * the same). Each has its own id, key, connection, executor and jid log, and runs the real
 * protocol code; they share the function registry, the host's grains (with their own id), and a
 * verifier that checks each distinct signed job once. Outboxes are in memory: the swarm stands
 * in for hosts, not for their disks.
 */
export async function startSwarm(options: SwarmOptions): Promise<Swarm> {
  const registry = createRegistry();
  const verifier = memoizingVerifier();
  const base = await collectGrains({ id: `${options.idPrefix}0` });
  const pin = memoryMasterPin(options.masterFingerprint);
  const connections: MasterConnection[] = [];
  const width = String(options.count - 1).length;
  for (let i = 0; i < options.count; i++) {
    const id = `${options.idPrefix}${String(i).padStart(width, '0')}`;
    const own = options.stateDir ? join(options.stateDir, id) : undefined;
    const key = own ? loadOrCreateMinionKey(join(own, 'pki')) : loadKeyPair(generateKeyPair().privatePem);
    let grains: Record<string, unknown> = { ...base, id, swarm: true };
    // Assigned below; closures built before it (grains, files) reach it through this binding.
    // eslint-disable-next-line prefer-const
    let connection: MasterConnection | undefined;
    const grainsAccess: GrainsAccess = {
      all: () => grains,
      setValue: async (k, v) => {
        grains = { ...grains, [k]: v };
        connection?.send({ type: 'grains.update', grains });
      },
      refresh: async () => grains,
    };
    const files = new FileClient((f) => connection?.send(f) ?? false);
    const log = options.log.child({ minionId: id });
    const executor = new Executor({
      id,
      registry,
      outbox: own ? new FileOutbox(join(own, 'outbox'), false) : new MemoryOutbox(),
      jidLog: own ? new FileJidLog(join(own, 'jids.log'), Date.now(), false) : new MemoryJidLog(),
      grains: grainsAccess,
      files,
      log,
      verifier,
      maxConcurrent: 4,
      maxQueued: 100,
      maxOutputBytes: 1024 * 1024,
      cacheDir: options.cacheDir,
      now: () => Date.now(),
    });
    connection = new MasterConnection({
      id,
      url: options.url,
      privateKey: key.privateKey,
      publicRaw: key.publicRaw,
      pin,
      log,
      version: BRINE_VERSION,
      grains: () => grains,
      running: () => executor.runningJids(),
      onReady: (s) => executor.attach(s),
      onFrame: (f, s) =>
        f.type === 'file.chunk' || f.type === 'file.listing' ? files.onFrame(f) : executor.onFrame(f, s),
      onClosed: () => {
        executor.detach();
        files.failAll();
      },
      backoff: { baseMs: options.reconnectBaseMs, capMs: options.reconnectCapMs },
      maxFrameBytes: 16 * 1024 * 1024,
      ...(options.localAddresses.length
        ? { localAddress: options.localAddresses[i % options.localAddresses.length]! }
        : {}),
    });
    connections.push(connection);
    connection.start(options.splayMs);
  }
  return {
    connected: () => connections.reduce((n, c) => n + (c.connected ? 1 : 0), 0),
    stop: () => connections.forEach((c) => c.stop()),
  };
}
