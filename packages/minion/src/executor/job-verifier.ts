import {
  inAudience,
  verifyAudienceProof,
  verifyJob,
  type AudienceProof,
  type JobSpec,
  type ProvenNodes,
  type VerifiedJob,
} from '@brine/protocol';

/** Verifies signed job specs, and that a job was sent to this minion. */
export interface JobVerifier {
  verify(masterPub: Uint8Array, masterFingerprint: string, spec: Uint8Array, sig: Uint8Array): VerifiedJob;
  /** Whether `id` is in the verified spec's signed audience, by the proof that came with the job. */
  selected(spec: JobSpec, proof: AudienceProof, id: string): boolean;
}

/** Verifies each job on its own: what a real minion does. */
export const directVerifier: JobVerifier = {
  verify: verifyJob,
  selected: (spec, proof, id) => inAudience(spec.audience, proof, id),
};

/**
 * Verifies each distinct (key, spec, signature) once and remembers the answer: in a swarm, ten
 * thousand virtual minions receive the very same signed bytes, and the answer for the same bytes
 * cannot differ. Only the last few entries are kept.
 */
export function memoizingVerifier(size = 64): JobVerifier {
  // Keyed by the signature; the spec bytes and key are compared in full on a hit, so a valid
  // signature replayed with other bytes is verified afresh (and fails).
  const cache = new Map<string, { pub: Uint8Array; fp: string; spec: Uint8Array; result: VerifiedJob }>();
  // A swarm's shared decoder hands every minion the very same spec and signature objects: those
  // are recognised by identity first, with no signature to encode and no bytes to compare.
  const byIdentity = new WeakMap<Uint8Array, { spec: Uint8Array; pub: Uint8Array; fp: string; result: VerifiedJob }>();
  // The 16 minions of an audience page get the same frame bytes, and the shared decoder hands
  // them the same proof object: its path is hashed once, against the spec it came with. Pages
  // share the upper tree, so each spec keeps the nodes proven so far and a path stops at the
  // first of them: a job's proofs cost about as many hashes as its tree has nodes.
  const proofs = new WeakMap<AudienceProof, { spec: JobSpec; chains: boolean }>();
  const proven = new WeakMap<JobSpec, ProvenNodes>();
  return {
    selected(spec, proof, id) {
      if (!proof.ids.includes(id)) return false;
      const known = proofs.get(proof);
      if (known && known.spec === spec) return known.chains;
      let nodes = proven.get(spec);
      if (!nodes) proven.set(spec, (nodes = new Map()));
      const chains = verifyAudienceProof(spec.audience, proof, nodes);
      proofs.set(proof, { spec, chains });
      return chains;
    },
    verify(masterPub, fp, spec, sig) {
      const same = byIdentity.get(sig);
      if (same && same.spec === spec && same.fp === fp && Buffer.compare(same.pub, masterPub) === 0) return same.result;
      const result = verifyBytesOnce(masterPub, fp, spec, sig);
      byIdentity.set(sig, { spec, pub: Buffer.from(masterPub), fp, result });
      return result;
    },
  };

  function verifyBytesOnce(masterPub: Uint8Array, fp: string, spec: Uint8Array, sig: Uint8Array): VerifiedJob {
    const k = Buffer.from(sig.buffer, sig.byteOffset, sig.byteLength).toString('base64');
    const hit = cache.get(k);
    if (hit && hit.fp === fp && Buffer.compare(hit.spec, spec) === 0 && Buffer.compare(hit.pub, masterPub) === 0)
      return hit.result;
    const result = verifyJob(masterPub, fp, spec, sig);
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
    cache.set(k, { pub: Buffer.from(masterPub), fp, spec: Buffer.from(spec), result });
    return result;
  }
}
