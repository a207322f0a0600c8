import { describe, expect, it, vi } from 'vitest';
import type { Frame } from '@brine/protocol';
import type { Session } from './connection/connection.js';
import { routeMasterFrame } from './wire-minion.js';

const session: Session = { send: () => true, masterPub: new Uint8Array(32), masterFingerprint: 'fp' };

function targets() {
  return {
    files: { onFrame: vi.fn() },
    pillar: { onFrame: vi.fn() },
    mine: { onFrame: vi.fn() },
    executor: { onFrame: vi.fn() },
  };
}

const frames: [string, Frame, 'files' | 'pillar' | 'mine' | 'executor'][] = [
  [
    'a file chunk',
    { v: 1, type: 'file.chunk', reqId: 1, data: new Uint8Array(0), size: 0, sha256: '', eof: true },
    'files',
  ],
  ['a file listing', { v: 1, type: 'file.listing', reqId: 1, paths: [] }, 'files'],
  ['pillar data', { v: 1, type: 'pillar.data', reqId: 1, pillar: {} }, 'pillar'],
  ['a mine answer', { v: 1, type: 'mine.response', reqId: 1, data: null }, 'mine'],
  ['a job cancel', { v: 1, type: 'job.cancel', jid: 'j' }, 'executor'],
  ['return acks', { v: 1, type: 'ret.ack', items: [['j', 0]] }, 'executor'],
];

describe('routeMasterFrame', () => {
  it.each(frames)('hands %s to its part only', (_what, frame, part) => {
    const to = targets();
    routeMasterFrame(frame, session, to);
    for (const [name, target] of Object.entries(to)) {
      expect(target.onFrame, name).toHaveBeenCalledTimes(name === part ? 1 : 0);
    }
  });

  it('gives the executor the session with the frame', () => {
    const to = targets();
    routeMasterFrame({ v: 1, type: 'job.cancel', jid: 'j' }, session, to);
    expect(to.executor.onFrame).toHaveBeenCalledWith({ v: 1, type: 'job.cancel', jid: 'j' }, session);
  });
});
