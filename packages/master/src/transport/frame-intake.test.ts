import { describe, expect, it } from 'vitest';
import type { Frame } from '@brine/protocol';
import type { MinionLink } from '../core/minion-link.js';
import { frameIntake, type FrameIntakeDeps } from './frame-intake.js';

const JID = '20240102030405678901';
const link: MinionLink = { id: 'web1', send: () => true, close: () => {} };
const ret: Frame<'job.return'> = {
  v: 1,
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
};

/** An intake whose every dependency records what it was told, in order. */
function recorded(over: Partial<FrameIntakeDeps> = {}) {
  const log: string[] = [];
  const intake = frameIntake({
    acceptScheduled: (id, f) => log.push(`scheduled ${id} ${f.schedule}`),
    ack: (id, items) => log.push(`ack ${id} ${JSON.stringify(items)}`),
    admitReturn: () => true,
    returning: () => log.push('returning'),
    dispatch: (l, f) => log.push(`dispatch ${l.id} ${f.type}`),
    scheduledFailed: (id, err) => log.push(`failed ${id} ${(err as Error).message}`),
    ...over,
  });
  return { intake, log };
}

describe('frameIntake', () => {
  it('records and acks a return of the minion schedule without dispatching it', () => {
    const { intake, log } = recorded();
    intake(link, { ...ret, schedule: 'nightly' });
    expect(log).toEqual(['scheduled web1 nightly', `ack web1 [["${JID}",0]]`]);
  });

  it('leaves a scheduled return unacked when it cannot be stored', () => {
    const { intake, log } = recorded({
      acceptScheduled: () => {
        throw new Error('disk full');
      },
    });
    intake(link, { ...ret, schedule: 'nightly' });
    expect(log).toEqual(['failed web1 disk full']);
  });

  it('drops a job return the return gate refuses', () => {
    const { intake, log } = recorded({ admitReturn: () => false });
    intake(link, ret);
    expect(log).toEqual([]);
  });

  it('passes an admitted job return through the ingest fault point to dispatch', () => {
    const { intake, log } = recorded();
    intake(link, ret);
    expect(log).toEqual(['returning', 'dispatch web1 job.return']);
  });

  it('dispatches any other frame as it came', () => {
    const { intake, log } = recorded({ admitReturn: () => false });
    intake(link, { v: 1, type: 'job.ack', jid: JID, attempt: 0, state: 'started' });
    expect(log).toEqual(['dispatch web1 job.ack']);
  });
});
