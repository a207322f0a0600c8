import { globMatch } from '@brine/protocol';
import type { EnrollmentTokens } from './enrollment.js';
import type { AdmitResult, KeyStore } from './key-store.js';

/** What {@link keyAdmission} needs. */
export interface KeyAdmissionDeps {
  keys: Pick<KeyStore, 'state' | 'admit' | 'stored'>;
  enrollment: Pick<EnrollmentTokens, 'consume'>;
  now(): number;
  /** Told of each minion that a one-time token enrolled, for the log. */
  enrolled(minionId: string): void;
}

/**
 * Decides a connecting minion's key state, with its enrollment token: a token is spent only on an
 * id the master has never seen (a known id keeps its key's state whatever it presents), and a
 * spent token admits the new key as accepted. The rest is {@link KeyStore.admit}. An accepted key
 * whose record is still being written is answered once it is stored (a promise), or `limited`
 * (retry later) when it could not be; every other answer is at once.
 */
export function keyAdmission(
  deps: KeyAdmissionDeps,
): (
  hello: { id: string; pub: Uint8Array },
  auth: { grains: Record<string, unknown>; enrollToken?: string | undefined },
  address: string,
) => AdmitResult | Promise<AdmitResult> {
  return ({ id, pub }, { grains, enrollToken }, address) => {
    const enrolled =
      enrollToken !== undefined &&
      deps.keys.state(id) === undefined &&
      deps.enrollment.consume(enrollToken, id, deps.now(), globMatch);
    if (enrolled) deps.enrolled(id);
    const decision = deps.keys.admit(id, pub, grains, { enrolled, address });
    const writing = decision === 'accepted' ? deps.keys.stored(id) : undefined;
    return writing
      ? writing.then(
          () => decision,
          () => 'limited' as const,
        )
      : decision;
  };
}
