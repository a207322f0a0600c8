import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fingerprint } from '@brine/protocol';

/** What the minion trusts about the master's identity. */
export interface MasterPin {
  /** Checks a presented master key; on first use (no pin yet) it is saved and trusted. */
  check(masterPub: Uint8Array): { ok: true; firstUse: boolean } | { ok: false; expected: string; got: string };
}

/**
 * Pins the master's key: to a configured fingerprint, else to the key saved at first contact
 * (trust on first use, logged loudly by the caller), enforced on every later connect.
 */
export function fileMasterPin(file: string, configuredFingerprint?: string): MasterPin {
  let saved: string | undefined = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  return {
    check(masterPub) {
      const got = fingerprint(masterPub);
      const expected = configuredFingerprint ?? saved;
      if (expected === undefined) {
        writeFileSync(file, got + '\n', { mode: 0o644 });
        saved = got;
        return { ok: true, firstUse: true };
      }
      return expected.toLowerCase() === got ? { ok: true, firstUse: false } : { ok: false, expected, got };
    },
  };
}

/** A pin kept in memory (swarm minions share the master's fingerprint). */
export function memoryMasterPin(configuredFingerprint?: string): MasterPin {
  let saved = configuredFingerprint;
  return {
    check(masterPub) {
      const got = fingerprint(masterPub);
      if (saved === undefined) {
        saved = got;
        return { ok: true, firstUse: true };
      }
      return saved.toLowerCase() === got ? { ok: true, firstUse: false } : { ok: false, expected: saved, got };
    },
  };
}
