import { verifyJob, type VerifiedJob } from '@brine/protocol';

/** Verifies signed job specs. */
export interface JobVerifier {
  verify(masterPub: Uint8Array, masterFingerprint: string, spec: Uint8Array, sig: Uint8Array): VerifiedJob;
}

/** Verifies each job on its own: what a real minion does. */
export const directVerifier: JobVerifier = { verify: verifyJob };

/**
 * Verifies each distinct (key, spec, signature) once and remembers the answer: in a swarm, ten
 * thousand virtual minions receive the very same signed bytes, and the answer for the same bytes
 * cannot differ. Only the last few entries are kept.
 */
export function memoizingVerifier(size = 64): JobVerifier {
  const cache = new Map<string, VerifiedJob>();
  return {
    verify(masterPub, fp, spec, sig) {
      const k = `${Buffer.from(masterPub).toString('base64')}|${fp}|${Buffer.from(sig).toString('base64')}|${Buffer.from(spec).toString('base64')}`;
      let v = cache.get(k);
      if (!v) {
        v = verifyJob(masterPub, fp, spec, sig);
        if (cache.size >= size) cache.delete(cache.keys().next().value!);
        cache.set(k, v);
      }
      return v;
    },
  };
}
