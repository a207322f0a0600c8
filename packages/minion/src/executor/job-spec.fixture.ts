import { createJidGenerator, type JobSpec } from '@brine/protocol';

const newJid = createJidGenerator();

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
    ...spec,
  };
}
