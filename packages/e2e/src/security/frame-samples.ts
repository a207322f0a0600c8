import type { FrameInput, FrameType } from '@brine/protocol';

const JID = '20240102030405678000';

/** One valid frame of every type, as a hostile peer would send it. Typed so a new type needs one. */
export const SAMPLES: { [T in FrameType]: FrameInput<T> } = {
  hello: { type: 'hello', id: 'sample', pub: Buffer.alloc(32, 1), nonce: Buffer.alloc(32, 2), version: '0' },
  challenge: {
    type: 'challenge',
    masterPub: Buffer.alloc(32, 3),
    nonce: Buffer.alloc(32, 4),
    certFp: 'ab:cd',
    sig: Buffer.alloc(64, 5),
  },
  auth: { type: 'auth', sig: Buffer.alloc(64, 6), grains: { os: 'Linux' }, running: [JID] },
  welcome: { type: 'welcome', heartbeatMs: 15_000 },
  'auth.refused': { type: 'auth.refused', code: 'ERR_KEY_PENDING', message: 'pending', retryAfterMs: 1000 },
  'job.publish': {
    type: 'job.publish',
    spec: Buffer.alloc(100, 7),
    sig: Buffer.alloc(64, 8),
    proof: { page: 0, ids: ['sample'], path: Buffer.alloc(32, 9) },
  },
  'job.ack': { type: 'job.ack', jid: JID, attempt: 0, state: 'started' },
  'job.progress': { type: 'job.progress', jid: JID, seq: 0, stream: 'stdout', data: 'x\n' },
  'job.return': {
    type: 'job.return',
    jid: JID,
    attempt: 0,
    fun: 'test.ping',
    outcome: 'returned',
    ret: true,
    retcode: 0,
    success: true,
    startedAt: 1,
    endedAt: 2,
  },
  'ret.ack': { type: 'ret.ack', items: [[JID, 0]] },
  'job.cancel': { type: 'job.cancel', jid: JID },
  event: { type: 'event', tag: 'custom/thing', data: { n: 1 } },
  'grains.update': { type: 'grains.update', grains: { os: 'Linux' }, seq: 1, sig: Buffer.alloc(64, 10) },
  'file.request': { type: 'file.request', reqId: 1, path: 'top.sls', offset: 0 },
  'file.chunk': { type: 'file.chunk', reqId: 1, data: Buffer.alloc(4), size: 4, sha256: '00', eof: true },
  'file.list': { type: 'file.list', reqId: 2, prefix: '' },
  'pillar.get': { type: 'pillar.get', reqId: 3 },
  'pillar.data': { type: 'pillar.data', reqId: 3, pillar: {} },
  'mine.request': { type: 'mine.request', reqId: 4, op: 'delete' },
  'mine.response': { type: 'mine.response', reqId: 4, data: null },
  'file.listing': { type: 'file.listing', reqId: 2, paths: ['a'] },
  error: { type: 'error', code: 'ERR_X', message: 'x' },
};
