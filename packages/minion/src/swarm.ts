import type { Logger } from 'pino';
import { decodeFrame, generateMemoryKeyPair, type DecodeResult } from '@brine/protocol';
import { MasterConnection } from './connection/connection.js';
import { FileClient } from './connection/file-client.js';
import { memoryMasterPin } from './connection/master-pin.js';
import { Executor } from './executor/executor.js';
import { memoizingVerifier } from './executor/job-verifier.js';
import { collectGrains } from './grains/collect.js';
import { createRegistry } from './modules/registry.js';
import { createStateLock } from './state-run/state-lock.js';
import { createStateRegistry } from './states/registry.js';
import type { GrainsAccess } from './modules/types.js';
import { BRINE_VERSION } from './modules/version.js';
import { join } from 'node:path';
import { loadOrCreateMinionKey } from './identity.js';
import { FileJidLog, MemoryJidLog, type JidLog } from './outbox/jid-log.js';
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

/**
 * Frames a swarm's minions receive byte for byte alike and only read: a published job, and the
 * acks of a fan-out's returns (the same jid for every minion, sent with the next job).
 */
const SHARED_FRAME_TYPES = new Set(['job.publish', 'ret.ack']);

/**
 * A decoder shared by a swarm's minions: a job published to all of them arrives as the same bytes
 * on every connection (and so do its acks), so the last few such frames' bytes and decoded forms
 * are kept, and an equal frame is not decoded (and schema-checked) again. Decoded frames are
 * never modified after decoding (the memoizing verifier already hands every minion the same spec).
 */
export function sharedFrameDecoder(maxFrameBytes: number, keep = 8): (bytes: Buffer) => DecodeResult {
  // Newest last. Several jobs in flight at once arrive interleaved, so a few are kept.
  const recent: { bytes: Buffer; result: DecodeResult }[] = [];
  return (bytes) => {
    for (let i = recent.length - 1; i >= 0; i--) {
      const r = recent[i]!;
      if (r.bytes.length === bytes.length && r.bytes.equals(bytes)) return r.result;
    }
    const result = decodeFrame(bytes, { maxFrameBytes });
    if (result.ok && SHARED_FRAME_TYPES.has(result.frame.type)) {
      if (recent.length >= keep) recent.shift();
      recent.push({ bytes: Buffer.from(bytes), result });
    }
    return result;
  };
}

/** A running swarm. */
export interface Swarm {
  connected(): number;
  stop(): void;
}

/**
 * Runs many virtual minions in one process, for load and fault tests (Salt ships minionswarm for
 * the same). Each has its own id, key, connection, executor and jid log, and runs the real
 * protocol code; they share the state functions, the host's grains (with their own id), and a
 * verifier that checks each distinct signed job once. Outboxes are in memory: the swarm stands
 * in for hosts, not for their disks.
 */
export async function startSwarm(options: SwarmOptions): Promise<Swarm> {
  // One set of state functions for all; each minion its own registry, for its own state-run lock.
  const states = createStateRegistry();
  const verifier = memoizingVerifier();
  const base = await collectGrains({ id: `${options.idPrefix}0` });
  const pin = memoryMasterPin(options.masterFingerprint);
  const decode = sharedFrameDecoder(16 * 1024 * 1024);
  const connections: MasterConnection[] = [];
  const jidLogs: JidLog[] = [];
  // As the daemon does: forget runs past their expiry, so a long run does not grow without end.
  const pruner = setInterval(() => {
    const now = Date.now();
    for (const log of jidLogs) log.prune(now);
  }, 60_000);
  pruner.unref();
  const width = String(options.count - 1).length;
  const ids = Array.from({ length: options.count }, (_, i) => `${options.idPrefix}${String(i).padStart(width, '0')}`);
  // Every key is made before the first connect, so key-making does not compete with handshakes.
  const keys = ids.map((id) =>
    options.stateDir ? loadOrCreateMinionKey(join(options.stateDir, id, 'pki')) : generateMemoryKeyPair(),
  );
  for (let i = 0; i < options.count; i++) {
    const id = ids[i]!;
    const own = options.stateDir ? join(options.stateDir, id) : undefined;
    const key = keys[i]!;
    let grains: Record<string, unknown> = { ...base, id, swarm: true };
    // Assigned below; closures built before it (grains, files) reach it through this binding.
    // eslint-disable-next-line prefer-const
    let connection: MasterConnection | undefined;
    const grainsAccess: GrainsAccess = {
      all: () => grains,
      setValue: async (k, v) => {
        grains = { ...grains, [k]: v };
        connection?.sendGrains(grains);
      },
      refresh: async () => grains,
    };
    const jidLog = own ? new FileJidLog(join(own, 'jids.log'), Date.now(), false) : new MemoryJidLog();
    jidLogs.push(jidLog);
    const files = new FileClient((f) => connection?.send(f) ?? false);
    const log = options.log.child({ minionId: id });
    const executor = new Executor({
      id,
      registry: createRegistry({ state: { states, lock: createStateLock() } }),
      outbox: own ? new FileOutbox(join(own, 'outbox'), false) : new MemoryOutbox(),
      jidLog,
      grains: grainsAccess,
      files,
      log,
      verifier,
      maxConcurrent: 4,
      maxQueued: 100,
      maxOutputBytes: 1024 * 1024,
      // Each minion its own cache: state runs fetch SLS files into it, and two minions must not
      // write one cached file at once.
      cacheDir: join(options.cacheDir, id),
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
      decode,
      ...(options.localAddresses.length
        ? { localAddress: options.localAddresses[i % options.localAddresses.length]! }
        : {}),
    });
    connections.push(connection);
    connection.start(options.splayMs);
  }
  return {
    connected: () => connections.reduce((n, c) => n + (c.connected ? 1 : 0), 0),
    stop: () => {
      clearInterval(pruner);
      connections.forEach((c) => c.stop());
    },
  };
}
