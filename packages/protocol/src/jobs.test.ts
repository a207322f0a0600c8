import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, encodeValue } from './codec.js';
import { ErrorCode } from './errors.js';
import { sampleJobSpec } from './frame-samples.fixture.js';
import { createJidGenerator } from './ids.js';
import { signJob, verifyJob } from './jobs.js';
import {
  SignContext,
  fingerprint,
  generateKeyPair,
  loadKeyPair,
  signBytes,
  transcript,
  verifyBytes,
} from './signatures.js';

const master = loadKeyPair(generateKeyPair().privatePem);
const masterFp = fingerprint(master.publicRaw);
const spec = sampleJobSpec({ master: masterFp });
const proof = { page: 0, ids: ['web1'], path: Buffer.alloc(0) };

describe('signJob and verifyJob', () => {
  it('round-trips a signed job spec', () => {
    const signed = signJob(master.privateKey, spec);
    expect(verifyJob(master.publicRaw, masterFp, signed.spec, signed.sig)).toEqual({ ok: true, spec });
  });

  it('round-trips a signed job through a job.publish frame', () => {
    const decoded = decodeFrame(encodeFrame({ type: 'job.publish', ...signJob(master.privateKey, spec), proof }));
    if (!decoded.ok || decoded.frame.type !== 'job.publish') throw new Error('job.publish did not decode');
    expect(verifyJob(master.publicRaw, masterFp, decoded.frame.spec, decoded.frame.sig)).toEqual({ ok: true, spec });
  });

  it('rejects 1,000 signed job frames each with one bit flipped in spec or sig', () => {
    const nextJid = createJidGenerator();
    let rejected = 0;
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), (inSpec, at, bit) => {
        const signed = signJob(master.privateKey, { ...spec, jid: nextJid(1_704_164_705_678) });
        const decoded = decodeFrame(encodeFrame({ type: 'job.publish', ...signed, proof }));
        if (!decoded.ok || decoded.frame.type !== 'job.publish') return false;
        const target = Buffer.from(inSpec ? decoded.frame.spec : decoded.frame.sig);
        target[at % target.length]! ^= 1 << bit;
        const result = inSpec
          ? verifyJob(master.publicRaw, masterFp, target, decoded.frame.sig)
          : verifyJob(master.publicRaw, masterFp, decoded.frame.spec, target);
        if (!result.ok && result.error.code === ErrorCode.SIGNATURE_INVALID) rejected++;
        return !result.ok;
      }),
      { seed: 42, numRuns: 1000 },
    );
    expect(rejected).toBe(1000);
  });

  it('rejects a job addressed to another master with ERR_SIGNATURE_INVALID', () => {
    const signed = signJob(master.privateKey, { ...spec, master: 'ff:ff' });
    const result = verifyJob(master.publicRaw, masterFp, signed.spec, signed.sig);
    expect(result.ok ? undefined : result.error.code).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('rejects a job signed by another key with ERR_SIGNATURE_INVALID', () => {
    const other = loadKeyPair(generateKeyPair().privatePem);
    const signed = signJob(other.privateKey, spec);
    const result = verifyJob(master.publicRaw, masterFp, signed.spec, signed.sig);
    expect(result.ok ? undefined : result.error.code).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('rejects a validly signed spec that breaks the schema with ERR_FRAME_SCHEMA', () => {
    const bytes = encodeValue({ ...spec, fun: 'rm -rf /' });
    const sig = signBytes(master.privateKey, transcript(SignContext.job, [bytes]));
    const result = verifyJob(master.publicRaw, masterFp, bytes, sig);
    expect(result.ok ? undefined : result.error.code).toBe(ErrorCode.FRAME_SCHEMA);
  });

  it('rejects malformed keys and signatures without throwing', () => {
    const signed = signJob(master.privateKey, spec);
    for (const [pub, sig] of [
      [Buffer.alloc(31), signed.sig],
      [Buffer.alloc(32), signed.sig],
      [master.publicRaw, signed.sig.subarray(1)],
      [master.publicRaw, Buffer.alloc(0)],
    ] as const) {
      expect(verifyJob(pub, masterFp, signed.spec, sig).ok).toBe(false);
    }
  });
});

describe('transcript', () => {
  const parts = [Buffer.from('nonce'), 'minion-1'];

  it('separates domains: a signature for one context fails for every other', () => {
    const contexts = Object.values(SignContext);
    for (const signedFor of contexts) {
      const sig = signBytes(master.privateKey, transcript(signedFor, parts));
      for (const checkedFor of contexts) {
        expect(verifyBytes(master.publicRaw, transcript(checkedFor, parts), sig)).toBe(signedFor === checkedFor);
      }
    }
  });

  it('rejects a job signed under the minion-auth context', () => {
    const bytes = encodeValue(spec);
    const sig = signBytes(master.privateKey, transcript(SignContext.minionAuth, [bytes]));
    expect(verifyJob(master.publicRaw, masterFp, bytes, sig).ok).toBe(false);
  });

  it('length-prefixes parts so moving a boundary changes the bytes', () => {
    expect(transcript(SignContext.job, ['ab', 'c']).equals(transcript(SignContext.job, ['a', 'bc']))).toBe(false);
    expect(transcript(SignContext.job, ['abc']).equals(transcript(SignContext.job, ['abc', '']))).toBe(false);
  });
});
