import type { KeyObject } from 'node:crypto';
import { buildAudience, createJidGenerator, publishFrames, signJob, type Frame, type JobSpec } from '@brine/protocol';

const newJid = createJidGenerator();

/** The audience every sample job is sent to, unless a test names another. */
export const SAMPLE_AUDIENCE = ['ex-1', 'ex-2'];

/** A `test.ping` to `*` with a fresh jid, valid for a minute; fields overridden by `spec`. */
export function sampleSpec(master: string, spec: Partial<JobSpec> = {}): JobSpec {
  return {
    jid: newJid(Date.now()),
    attempt: 0,
    fun: 'test.ping',
    args: [],
    kwargs: {},
    tgt: '*',
    tgtType: 'glob',
    expiresAt: Date.now() + 60_000,
    timeoutMs: 10_000,
    stream: false,
    master,
    audience: buildAudience(SAMPLE_AUDIENCE).commitment,
    ...spec,
  };
}

/**
 * A signed `job.publish` frame as the master sends it to minion `to`, for a job sent to
 * `audience` (which decides the spec's commitment and the proof).
 */
export function samplePublish(
  privateKey: KeyObject,
  spec: JobSpec,
  to = SAMPLE_AUDIENCE[0]!,
  audience = SAMPLE_AUDIENCE,
): Frame<'job.publish'> {
  const tree = buildAudience(audience);
  const signed = signJob(privateKey, { ...spec, audience: tree.commitment });
  const page = tree.pageOf(to) ?? 0;
  return { v: 1, type: 'job.publish', ...signed, proof: tree.proof(page) };
}

/** {@link samplePublish}, encoded. */
export function samplePublishBytes(privateKey: KeyObject, spec: JobSpec, to?: string): Buffer {
  const tree = buildAudience(SAMPLE_AUDIENCE);
  return publishFrames(signJob(privateKey, { ...spec, audience: tree.commitment }), tree)(to ?? SAMPLE_AUDIENCE[0]!)!;
}
