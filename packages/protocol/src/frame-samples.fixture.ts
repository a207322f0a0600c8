import type { FrameInput, FrameType, JobSpec } from './frames.js';

/** Test fixture: one valid frame of each type, as a caller builds it. Typed so a new type needs one. */
export type FrameSamples = { [T in FrameType]: FrameInput<T> };

const JID = '20240102030405678000';
const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

/** Test fixture: a valid job spec. */
export function sampleJobSpec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    jid: JID,
    attempt: 0,
    fun: 'test.ping',
    args: [1, 'two', { three: [3] }],
    kwargs: { timeout: 5 },
    tgt: 'web* and G@os:Debian',
    tgtType: 'compound',
    expiresAt: 1_704_164_705_678,
    timeoutMs: 60_000,
    stream: false,
    master: 'ab:cd',
    audience: { root: bytes(32, 11), count: 3 },
    ...overrides,
  };
}

/** Test fixture: one valid sample of every frame type. */
export const FRAME_SAMPLES: FrameSamples = {
  hello: { type: 'hello', id: 'web1.example.com', pub: bytes(32, 1), nonce: bytes(32, 2), version: '0.1.0' },
  challenge: { type: 'challenge', masterPub: bytes(32, 3), nonce: bytes(32, 4), certFp: 'ab:cd', sig: bytes(64, 5) },
  auth: {
    type: 'auth',
    sig: bytes(64, 6),
    grains: { os: 'Debian', num_cpus: 4, ipv4: ['10.0.0.1'], nested: { a: { b: [1, null, true] } } },
    running: [JID],
    enrollToken: 'token',
  },
  welcome: { type: 'welcome', heartbeatMs: 15_000 },
  'auth.refused': { type: 'auth.refused', code: 'ERR_KEY_PENDING', message: 'key pending', retryAfterMs: 1000 },
  'job.publish': {
    type: 'job.publish',
    spec: bytes(100, 7),
    sig: bytes(64, 8),
    proof: { page: 0, ids: ['web1.example.com', 'web2.example.com'], path: bytes(64, 12) },
  },
  'job.ack': { type: 'job.ack', jid: JID, attempt: 0, state: 'refused', code: 'ERR_JOB_EXPIRED' },
  'job.progress': { type: 'job.progress', jid: JID, seq: 3, stream: 'stderr', data: 'line\n' },
  'job.return': {
    type: 'job.return',
    jid: JID,
    attempt: 1,
    fun: 'cmd.run',
    outcome: 'returned',
    ret: { stdout: 'ok', list: [1, 2.5, 'x'], bin: bytes(3, 9) },
    retcode: 0,
    success: true,
    startedAt: 1_704_164_705_678,
    endedAt: 1_704_164_705_999,
  },
  'ret.ack': { type: 'ret.ack', items: [[JID, 0]] },
  'job.cancel': { type: 'job.cancel', jid: JID },
  event: { type: 'event', tag: 'brine/custom/thing', data: { n: 1, s: 'x', l: [true, false] } },
  'grains.update': { type: 'grains.update', grains: { os: 'Ubuntu', roles: ['web'] }, seq: 1, sig: bytes(64, 13) },
  'file.request': { type: 'file.request', reqId: 7, path: 'salt://top.sls', offset: 0 },
  'file.chunk': {
    type: 'file.chunk',
    reqId: 7,
    data: bytes(16, 10),
    size: 16,
    sha256: 'e3b0c442',
    eof: true,
  },
  'file.list': { type: 'file.list', reqId: 8, prefix: 'files/' },
  'file.listing': { type: 'file.listing', reqId: 8, paths: ['files/a', 'files/b'] },
  'pillar.get': { type: 'pillar.get', reqId: 3, id: 'web1', saltenv: 'base' },
  'pillar.data': { type: 'pillar.data', reqId: 3, pillar: { role: 'web', nested: { list: [1, 'x'] } } },
  'mine.request': { type: 'mine.request', reqId: 4, op: 'get', fun: 'network.ip_addrs', tgt: 'web*', tgtType: 'glob' },
  'mine.response': { type: 'mine.response', reqId: 4, data: { web1: ['10.0.0.1'] } },
  error: { type: 'error', code: 'ERR_FRAME_SCHEMA', message: 'bad frame' },
};
