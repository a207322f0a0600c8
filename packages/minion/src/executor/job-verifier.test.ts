import { describe, expect, it } from 'vitest';
import {
  buildAudience,
  createJidGenerator,
  fingerprint,
  generateKeyPair,
  loadKeyPair,
  signJob,
  type JobSpec,
} from '@brine/protocol';
import { memoizingVerifier } from './job-verifier.js';

const master = loadKeyPair(generateKeyPair().privatePem);
const fp = fingerprint(master.publicRaw);
const spec = (fun: string): JobSpec => ({
  jid: createJidGenerator()(Date.now()),
  attempt: 0,
  fun,
  args: [],
  kwargs: {},
  tgt: '*',
  tgtType: 'glob',
  expiresAt: Date.now() + 60_000,
  timeoutMs: 1000,
  stream: false,
  master: fp,
  audience: buildAudience(['m1']).commitment,
});

describe('memoizingVerifier', () => {
  it('answers the same signed bytes from its cache', () => {
    const v = memoizingVerifier();
    const signed = signJob(master.privateKey, spec('test.ping'));
    const first = v.verify(master.publicRaw, fp, signed.spec, signed.sig);
    expect(first.ok).toBe(true);
    expect(v.verify(master.publicRaw, fp, Buffer.from(signed.spec), Buffer.from(signed.sig))).toBe(first);
  });

  it('refuses a cached signature replayed with other spec bytes', () => {
    const v = memoizingVerifier();
    const good = signJob(master.privateKey, spec('test.ping'));
    const evil = signJob(master.privateKey, spec('cmd.run'));
    expect(v.verify(master.publicRaw, fp, good.spec, good.sig).ok).toBe(true);
    expect(v.verify(master.publicRaw, fp, evil.spec, good.sig).ok).toBe(false);
  });

  it('checks each shared proof once, and never against another job’s audience', () => {
    const v = memoizingVerifier();
    const tree = buildAudience(['m1', 'm2', 'm3']);
    const job = { ...spec('test.ping'), audience: tree.commitment };
    const proof = tree.proof(0);
    expect(v.selected(job, proof, 'm1')).toBe(true);
    expect(v.selected(job, proof, 'm2')).toBe(true);
    expect(v.selected(job, proof, 'm9')).toBe(false);
    const other = { ...spec('test.ping'), audience: buildAudience(['m1', 'm2']).commitment };
    expect(v.selected(other, proof, 'm1')).toBe(false);
  });

  it('shares proven tree nodes between the pages of one job, and still refuses an edited page', () => {
    const v = memoizingVerifier();
    const all = Array.from({ length: 100 }, (_, i) => `m${i}`);
    const tree = buildAudience(all);
    const job = { ...spec('test.ping'), audience: tree.commitment };
    for (const id of all) expect(v.selected(job, tree.proof(tree.pageOf(id)!), id)).toBe(true);
    const page = tree.proof(3);
    expect(v.selected(job, { ...page, ids: [...page.ids.slice(1), 'intruder'] }, 'intruder')).toBe(false);
  });
});
