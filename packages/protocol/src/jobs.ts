import type { KeyObject } from 'node:crypto';
import type { AudienceTree } from './audience.js';
import { decodeValue, encodeFrame, encodeValue } from './codec.js';
import { ErrorCode, type WireError } from './errors.js';
import { jobSpecSchema, type JobSpec } from './frames.js';
import { SignContext, signBytes, transcript, verifyBytes } from './signatures.js';

/** Signs a job spec once; the returned bytes and signature go into every `job.publish` frame. */
export function signJob(privateKey: KeyObject, spec: JobSpec): { spec: Buffer; sig: Buffer } {
  const bytes = encodeValue(spec);
  return { spec: bytes, sig: signBytes(privateKey, transcript(SignContext.job, [bytes])) };
}

/**
 * The `job.publish` frame of a signed job for each minion of its audience: the frame carries the
 * minion's page proof, so it is encoded once per page (16 minions) and the same bytes go to every
 * minion of the page. Returns undefined for a minion outside the audience.
 */
export function publishFrames(
  signed: { spec: Buffer; sig: Buffer },
  audience: AudienceTree,
): (id: string) => Buffer | undefined {
  const byPage = new Map<number, Buffer>();
  return (id) => {
    const page = audience.pageOf(id);
    if (page === undefined) return undefined;
    let bytes = byPage.get(page);
    if (!bytes) {
      bytes = encodeFrame({ type: 'job.publish', ...signed, proof: audience.proof(page) });
      byPage.set(page, bytes);
    }
    return bytes;
  };
}

/** A job whose signature verified, with its decoded spec. */
export type VerifiedJob = { ok: true; spec: JobSpec } | { ok: false; error: WireError };

/**
 * Verifies a published job against the pinned master key and decodes its spec. Checks, in
 * order: the signature over the exact bytes, the spec's schema, and its audience (`master`).
 * Expiry and targeting are the caller's, as they need a clock and the minion's facts.
 */
export function verifyJob(
  masterPub: Uint8Array,
  masterFp: string,
  specBytes: Uint8Array,
  sig: Uint8Array,
): VerifiedJob {
  if (!verifyBytes(masterPub, transcript(SignContext.job, [specBytes]), sig)) {
    return { ok: false, error: { code: ErrorCode.SIGNATURE_INVALID, message: 'job signature does not verify' } };
  }
  const raw = decodeValue(specBytes);
  if (!raw.ok) return raw;
  const parsed = jobSpecSchema.safeParse(raw.value);
  if (!parsed.success) {
    return { ok: false, error: { code: ErrorCode.FRAME_SCHEMA, message: 'job spec does not match its schema' } };
  }
  if (parsed.data.master !== masterFp) {
    return { ok: false, error: { code: ErrorCode.SIGNATURE_INVALID, message: 'job is addressed to another master' } };
  }
  return { ok: true, spec: parsed.data };
}
