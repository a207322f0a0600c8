import { hash } from 'node:crypto';
import { encodeValue } from './codec.js';

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
 * to the same bytes, so an honest minion's digest always matches and a changed fact never does.
 */
export function authFactsDigest(facts: AuthFacts): Buffer {
  return hash('sha256', encodeValue([facts.grains, facts.running, facts.enrollToken ?? null]), 'buffer');
}
