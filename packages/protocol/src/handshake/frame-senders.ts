import type { FrameType } from '../frames.js';

/** Who may send a frame type to the master. `nobody`: the master sends it, never accepts it. */
export type Sender = 'unauthenticated' | 'minion' | 'any' | 'nobody';

/**
 * The declared sender of every frame type, checked before any handler runs. A frame from a peer
 * in the wrong state closes that connection. Typed as a total record, so a new frame type does
 * not compile until it is declared here (Salt's CVE-2020-11651 was an undeclared handler).
 */
export const FRAME_SENDERS = {
  hello: 'unauthenticated',
  auth: 'unauthenticated',
  challenge: 'nobody',
  welcome: 'nobody',
  'auth.refused': 'nobody',
  'job.publish': 'nobody',
  'job.ack': 'minion',
  'job.progress': 'minion',
  'job.return': 'minion',
  'ret.ack': 'nobody',
  'job.cancel': 'nobody',
  event: 'minion',
  'grains.update': 'minion',
  'file.request': 'minion',
  'file.chunk': 'nobody',
  'file.list': 'minion',
  'file.listing': 'nobody',
  'pillar.get': 'minion',
  'pillar.data': 'nobody',
  'mine.request': 'minion',
  'mine.response': 'nobody',
  error: 'any',
} as const satisfies Record<FrameType, Sender>;

/** Whether a peer in `state` may send `type`. */
export function mayReceive(type: FrameType, state: 'hello' | 'auth' | 'ready'): boolean {
  const sender: Sender = FRAME_SENDERS[type];
  if (sender === 'any') return true;
  if (sender === 'nobody') return false;
  if (sender === 'minion') return state === 'ready';
  return type === 'hello' ? state === 'hello' : state === 'auth';
}
