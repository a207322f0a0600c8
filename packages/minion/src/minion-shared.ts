import type { SecureContext } from 'node:tls';
import type { DecodeResult } from '@brine/protocol';
import { createTlsContext } from './connection/connection.js';
import type { ProcessSpawner } from './executor/process-spawner.js';
import { createTargetCache, type TargetCache } from './executor/target-cache.js';
import { createTurnBatch, type TurnBatch } from './executor/turn-batch.js';
import { directVerifier, memoizingVerifier, type JobVerifier } from './executor/job-verifier.js';
import { sharedFrameDecoder } from './shared-frame-decoder.js';

/**
 * What every minion of one process shares: one per process, made by {@link createMinionShared}
 * and handed to {@link wireMinion} for each minion. In a swarm these are what keeps ten thousand
 * virtual minions cheap (one TLS context, one decode and one verification per published job, one
 * `setImmediate` per fan-out); a daemon has one minion and the same parts.
 */
export interface MinionShared {
  verifier: JobVerifier;
  afterTurn: TurnBatch;
  targets: TargetCache;
  /** Made on first use: a minion on plain `ws://` never builds one. */
  tlsContext(): SecureContext;
  /** A decoder shared by the process's minions; each connection decodes on its own when absent. */
  decode?: (bytes: Buffer) => DecodeResult;
  /** Starts the commands of the process's jobs (a swarm's helper process). @default each from this process */
  spawner?: ProcessSpawner;
}

/** The largest frame a swarm's minions accept from the master. */
export const SWARM_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Makes the parts a process's minions share. A `swarm` remembers verified jobs and decoded frames
 * (its minions receive the same bytes); a `daemon` verifies and decodes each frame on its own,
 * as a real host does.
 */
export function createMinionShared(kind: 'daemon' | 'swarm'): MinionShared {
  let tls: SecureContext | undefined;
  return {
    verifier: kind === 'swarm' ? memoizingVerifier() : directVerifier,
    afterTurn: createTurnBatch(),
    targets: createTargetCache(),
    tlsContext: () => (tls ??= createTlsContext()),
    ...(kind === 'swarm' ? { decode: sharedFrameDecoder(SWARM_MAX_FRAME_BYTES) } : {}),
  };
}
