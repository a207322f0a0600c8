import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { fingerprint, generateKeyPair, loadKeyPair, signJob, type FrameInput, type JobSpec } from '@brine/protocol';
import { createRegistry } from '../modules/registry.js';
import { FileJidLog } from '../outbox/jid-log.js';
import { FileOutbox } from '../outbox/outbox.js';
import { sampleSpec } from './job-spec.fixture.js';
import { Executor } from './executor.js';
import { directVerifier } from './job-verifier.js';

const master = loadKeyPair(generateKeyPair().privatePem);
const masterFp = fingerprint(master.publicRaw);

/** Runs one signed job on a fresh executor and resolves with its return frame. */
async function runJob(spec: Partial<JobSpec>): Promise<Extract<FrameInput, { type: 'job.return' }>> {
  const dir = mkdtempSync(join(tmpdir(), 'brine-compound-'));
  const ex = new Executor({
    id: 'ex-1',
    registry: createRegistry(),
    outbox: new FileOutbox(join(dir, 'outbox')),
    jidLog: new FileJidLog(join(dir, 'jids.log'), Date.now()),
    grains: { all: () => ({ id: 'ex-1' }), setValue: async () => {}, refresh: async () => ({}) },
    files: { getFile: async () => ({ sha256: '', size: 0 }), list: async () => [] },
    log: pino({ level: 'silent' }),
    verifier: directVerifier,
    maxConcurrent: 4,
    maxQueued: 10,
    maxOutputBytes: 1024 * 1024,
    cacheDir: dir,
    now: () => Date.now(),
  });
  return new Promise((resolve) => {
    const session = {
      masterPub: master.publicRaw,
      masterFingerprint: masterFp,
      send: (f: FrameInput) => {
        if (f.type === 'job.return') resolve(f);
        return true;
      },
    };
    ex.attach(session);
    ex.onFrame({ v: 1, type: 'job.publish', ...signJob(master.privateKey, sampleSpec(masterFp, spec)) }, session);
  });
}

describe('Executor with several functions in one job', () => {
  it('runs each function in order and returns each result under its name', async () => {
    const ret = await runJob({
      fun: 'test.echo,cmd.run,test.ping',
      args: [['hello'], ['echo "$PWD"', { __kwarg__: true, cwd: '/tmp' }], []],
    });
    expect(ret).toMatchObject({
      fun: 'test.echo,cmd.run,test.ping',
      outcome: 'returned',
      success: true,
      retcode: 0,
      ret: { 'test.echo': 'hello', 'cmd.run': '/tmp', 'test.ping': true },
    });
  });

  it('fails the job with the highest retcode when one function fails, and still runs the others', async () => {
    const ret = await runJob({ fun: 'cmd.run,no.such,test.echo', args: [['exit 3'], [], ['after']] });
    expect(ret).toMatchObject({ success: false, retcode: 254 });
    expect(ret.ret).toMatchObject({
      'no.such': { code: 'ERR_FUNCTION_UNKNOWN' },
      'test.echo': 'after',
    });
  });

  it('refuses a compound job whose args are not one list per function, with ERR_ARGS_INVALID', async () => {
    const ret = await runJob({ fun: 'test.echo,test.ping', args: ['hello'] });
    expect(ret).toMatchObject({ success: false, retcode: 254, ret: { code: 'ERR_ARGS_INVALID' } });
  });
});
