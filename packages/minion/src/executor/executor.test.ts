import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint, generateKeyPair, loadKeyPair, type Frame, type FrameInput, type JobSpec } from '@brine/protocol';
import { createRegistry } from '../modules/registry.js';
import type { GrainsAccess, MasterFiles } from '../modules/types.js';
import { FileJidLog } from '../outbox/jid-log.js';
import { FileOutbox } from '../outbox/outbox.js';
import type { Session } from '../connection/connection.js';
import { samplePublish, sampleSpec } from './job-spec.fixture.js';
import { Executor } from './executor.js';
import { directVerifier } from './job-verifier.js';

const master = loadKeyPair(generateKeyPair().privatePem);
const masterFp = fingerprint(master.publicRaw);
const grains: GrainsAccess = {
  all: () => ({ id: 'ex-1', os: 'Debian' }),
  setValue: async () => {},
  refresh: async () => ({}),
};
const files: MasterFiles = { getFile: async () => ({ sha256: '', size: 0 }), list: async () => [] };
const executors: Executor[] = [];

function executor(dir: string, maxConcurrent = 4): Executor {
  const ex = new Executor({
    id: 'ex-1',
    registry: createRegistry(),
    outbox: new FileOutbox(join(dir, 'outbox')),
    jidLog: new FileJidLog(join(dir, 'jids.log'), Date.now()),
    grains,
    files,
    log: pino({ level: 'silent' }),
    verifier: directVerifier,
    maxConcurrent,
    maxQueued: 10,
    maxOutputBytes: 1024 * 1024,
    cacheDir: dir,
    now: () => Date.now(),
  });
  executors.push(ex);
  return ex;
}

function session(): Session & { sent: FrameInput[] } {
  const sent: FrameInput[] = [];
  return { sent, masterPub: master.publicRaw, masterFingerprint: masterFp, send: (f) => (sent.push(f), true) };
}

function publish(spec: Partial<JobSpec>, audience?: string[]): Frame<'job.publish'> {
  return samplePublish(master.privateKey, sampleSpec(masterFp, spec), 'ex-1', audience);
}

const returns = (s: { sent: FrameInput[] }) =>
  s.sent.filter((f): f is Extract<FrameInput, { type: 'job.return' }> => f.type === 'job.return');
const acks = (s: { sent: FrameInput[] }) =>
  s.sent.filter((f): f is Extract<FrameInput, { type: 'job.ack' }> => f.type === 'job.ack');
const tmp = () => mkdtempSync(join(tmpdir(), 'brine-exec-'));
const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  for (const ex of executors.splice(0)) for (const j of ex.runningJids()) ex.kill(j);
});

describe('Executor', () => {
  it('runs a job delivered twice only once, and answers the duplicate from its outbox', async () => {
    const s = session();
    const ex = executor(tmp());
    ex.attach(s);
    const frame = publish({ fun: 'test.echo', args: ['once'] });
    ex.onFrame(frame, s);
    await settle();
    ex.onFrame(frame, s);
    await settle();
    // test.echo finishes before its ack is due: its return is the ack (implicitAck).
    expect(acks(s).map((a) => a.state)).toEqual(['duplicate']);
    expect(returns(s)).toHaveLength(2);
    expect(returns(s)[0]).toMatchObject({ implicitAck: true, ret: 'once' });
    expect(returns(s)[1]).toMatchObject({ ret: 'once' });
  });

  it('runs a job once across a restart, even when replayed after it', async () => {
    const dir = tmp();
    const frame = publish({ fun: 'test.echo', args: ['x'] });
    const s1 = session();
    const first = executor(dir);
    first.attach(s1);
    first.onFrame(frame, s1);
    await settle();
    first.onFrame({ v: 1, type: 'ret.ack', items: [[returns(s1)[0]!.jid, 0]] }, s1);
    const s2 = session();
    const second = executor(dir);
    second.attach(s2);
    second.onFrame(frame, s2);
    await settle();
    expect(acks(s2).map((a) => a.state)).toEqual(['duplicate']);
    expect(returns(s2)).toHaveLength(0);
  });

  it('refuses an expired job, one that does not target it, and one with a bad signature', async () => {
    const s = session();
    const ex = executor(tmp());
    ex.attach(s);
    ex.onFrame(publish({ expiresAt: Date.now() - 1 }), s);
    ex.onFrame(publish({ tgt: 'web*' }), s);
    const bad = publish({});
    bad.sig = Buffer.from(bad.sig);
    bad.sig[0]! ^= 1;
    ex.onFrame(bad, s);
    await settle();
    expect(acks(s).map((a) => a.code)).toEqual(['ERR_JOB_EXPIRED', 'ERR_JOB_NOT_TARGETED']);
    expect(returns(s)).toHaveLength(0);
  });

  it('refuses a job whose signed audience does not hold it, even with another minion’s proof', async () => {
    const s = session();
    const ex = executor(tmp());
    ex.attach(s);
    // Sent to ex-2 only: the frame ex-2 got carries ex-2's page, which does not hold ex-1.
    ex.onFrame(samplePublish(master.privateKey, sampleSpec(masterFp), 'ex-2', ['ex-2', 'ex-3']), s);
    // The page of a 20-minion job that holds ex-1, with the proof of another page.
    const many = Array.from({ length: 20 }, (_, i) => (i === 17 ? 'ex-1' : `other-${i}`));
    const wrongPage = samplePublish(master.privateKey, sampleSpec(masterFp), 'other-0', many);
    ex.onFrame({ ...wrongPage, proof: { ...wrongPage.proof, ids: [...wrongPage.proof.ids.slice(1), 'ex-1'] } }, s);
    await settle();
    expect(acks(s).map((a) => a.code)).toEqual(['ERR_JOB_NOT_SELECTED', 'ERR_JOB_NOT_SELECTED']);
    expect(returns(s)).toHaveLength(0);
    // The same job, with ex-1's own page, runs.
    ex.onFrame(samplePublish(master.privateKey, sampleSpec(masterFp), 'ex-1', many), s);
    await settle();
    expect(returns(s)).toHaveLength(1);
  });

  it('reports a job cut short by a restart as interrupted, and does not run it again', async () => {
    const dir = tmp();
    const s1 = session();
    const first = executor(dir);
    first.attach(s1);
    const frame = publish({ fun: 'test.sleep', args: [30], timeoutMs: 60_000 });
    first.onFrame(frame, s1);
    await settle();
    // A new executor on the same state, as after kill -9: the run never finished.
    const s2 = session();
    const second = executor(dir);
    second.attach(s2);
    expect(returns(s2)).toEqual([expect.objectContaining({ outcome: 'interrupted', success: false })]);
    second.onFrame(frame, s2);
    expect(acks(s2).map((a) => a.state)).toEqual(['duplicate']);
  });

  it('reports a scheduled run cut short by a restart as interrupted under its schedule', async () => {
    const dir = tmp();
    const first = executor(dir);
    const jid = first.runScheduled('nightly', { fun: 'test.sleep', args: [30], kwargs: {}, timeoutMs: 60_000 });
    // A new executor on the same state, as after kill -9: the scheduled run never finished.
    const s2 = session();
    const second = executor(dir);
    second.attach(s2);
    expect(returns(s2)).toEqual([
      expect.objectContaining({ jid, fun: 'test.sleep', schedule: 'nightly', outcome: 'interrupted', success: false }),
    ]);
    // Reported once: a third start finds it done.
    const s3 = session();
    executor(dir).attach(s3);
    expect(returns(s3).filter((r) => r.outcome === 'interrupted' && r.jid === jid)).toHaveLength(1);
  });

  it('times out a job that waits in the queue past its deadline without running it', async () => {
    const s = session();
    const ex = executor(tmp(), 1);
    ex.attach(s);
    ex.onFrame(publish({ fun: 'test.sleep', args: [5], timeoutMs: 10_000 }), s);
    ex.onFrame(publish({ fun: 'test.echo', args: ['late'], timeoutMs: 200 }), s);
    await settle(400);
    expect(returns(s)).toEqual([expect.objectContaining({ fun: 'test.echo', outcome: 'timed_out', success: false })]);
  });

  it('acks a job that runs longer than a turn of the event loop before it returns', async () => {
    const s = session();
    const ex = executor(tmp());
    ex.attach(s);
    ex.onFrame(publish({ fun: 'test.sleep', args: [0.2] }), s);
    await settle(50);
    expect(acks(s).map((a) => a.state)).toEqual(['started']);
    await settle(300);
    expect(returns(s)[0]).not.toHaveProperty('implicitAck');
  });

  it('cancels a running job and kills its process group', async () => {
    const s = session();
    const ex = executor(tmp());
    ex.attach(s);
    const frame = publish({ fun: 'cmd.run', args: ['sleep 30'], timeoutMs: 60_000 });
    ex.onFrame(frame, s);
    await settle(300);
    const jid = ex.runningJids()[0]!;
    ex.onFrame({ v: 1, type: 'job.cancel', jid }, s);
    await settle(500);
    expect(returns(s)).toEqual([expect.objectContaining({ outcome: 'cancelled' })]);
    expect(ex.runningJids()).toEqual([]);
  });

  it('drops a return from the outbox only when the master acks it', async () => {
    const dir = tmp();
    const s = session();
    const ex = executor(dir);
    ex.attach(s);
    ex.onFrame(publish({}), s);
    await settle();
    const ret = returns(s)[0]!;
    const again = session();
    ex.attach(again);
    expect(returns(again)).toHaveLength(1);
    ex.onFrame({ v: 1, type: 'ret.ack', items: [[ret.jid, ret.attempt]] }, again);
    const third = session();
    ex.attach(third);
    expect(returns(third)).toHaveLength(0);
  });
});
