import { hash } from 'node:crypto';
import { decodeValue, encodeValue } from './codec.js';
import { SignContext, transcript } from './signatures.js';

/** What a minion tells the master at connect, beside its proof of key possession. */
export interface AuthFacts {
  grains: Record<string, unknown>;
  /** Jids still running on the minion. */
  running: readonly string[];
  enrollToken?: string | undefined;
}

/**
 * The SHA-256 of the facts an `auth` frame carries (grains, running jobs, enrollment token),
 * which the minion signs with its key in the auth transcript: grains drive targeting and
 * grain-based ACLs, so they are covered by the minion's own signature, not by TLS alone (issue
 * #13). The master recomputes it from the decoded frame; msgpack of decoded plain data encodes
 * to the same bytes (a `__proto__` key aside, handled below), so an honest minion's digest always
 * matches and a changed fact never does.
 */
export function authFactsDigest(facts: AuthFacts): Buffer {
  return hash('sha256', wireBytes([facts.grains, facts.running, facts.enrollToken ?? null]), 'buffer');
}

// msgpackr's decoder renames a `__proto__` key to `__proto_` (its pollution guard), so a value
// holding one reaches the master changed. Such a value is digested as the master will see it:
// encoded, decoded and encoded again. Only then, since the round trip costs a decode per connect.
const PROTO_KEY = Buffer.from('__proto__');

/** The msgpack of a value as its receiver decodes and re-encodes it. */
function wireBytes(value: unknown): Buffer {
  const bytes = encodeValue(value);
  if (!bytes.includes(PROTO_KEY)) return bytes;
  const decoded = decodeValue(bytes);
  return decoded.ok ? encodeValue(decoded.value) : bytes;
}

/** What a `grains.update` signature covers. */
export interface GrainsUpdateFacts {
  id: string;
  /** The master's challenge nonce of this connection: binds the update to one session. */
  masterNonce: Uint8Array;
  /** Higher than the last update's in the session: an update is not replayed. */
  seq: number;
  grains: Record<string, unknown>;
}

/**
 * The bytes a minion signs for a `grains.update` frame, and the master verifies: grains sent after
 * connect are the minion's signed word too, as those in its auth frame are (issue #13).
 */
export function grainsUpdateTranscript(f: GrainsUpdateFacts): Buffer {
  const digest = hash('sha256', wireBytes(f.grains), 'buffer');
  return transcript(SignContext.grainsUpdate, [f.id, f.masterNonce, String(f.seq), digest]);
}
