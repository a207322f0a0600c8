import type { Frame } from '@brine/protocol';
import type { MinionLink } from '../core/minion-link.js';

/** What {@link frameIntake} needs: where each kind of frame goes. */
export interface FrameIntakeDeps {
  /** Records a return of the minion's own schedule under a master jid (ScheduledReturns.accept); throws when it cannot. */
  acceptScheduled(minionId: string, frame: Frame<'job.return'>): void;
  /** Acks returns to their minion, so they leave its outbox. */
  ack(minionId: string, items: [string, number][]): void;
  /** Whether a job return answers an attempt this master published (core's `returnGate`). */
  admitReturn(minionId: string, frame: Frame<'job.return'>): boolean;
  /** Told of each job return on its way to ingest (the fault-injection `ingest` point). */
  returning(): void;
  /** Everything else: the transport's frame dispatch. */
  dispatch(link: MinionLink, frame: Frame): void;
  /** Told of a scheduled return that could not be stored; it stays in the minion's outbox. */
  scheduledFailed(minionId: string, err: unknown): void;
}

/**
 * The first stop of every frame an authenticated minion sends. A return of the minion's own
 * schedule (issue #19) is recorded under a master jid and acked, never dispatched; a job return
 * goes on only for an attempt this master published; the rest is dispatched.
 */
export function frameIntake(deps: FrameIntakeDeps): (link: MinionLink, frame: Frame) => void {
  return (link, frame) => {
    if (frame.type === 'job.return') {
      if (frame.schedule !== undefined) {
        try {
          deps.acceptScheduled(link.id, frame);
          deps.ack(link.id, [[frame.jid, frame.attempt]]);
        } catch (err) {
          deps.scheduledFailed(link.id, err);
        }
        return;
      }
      if (!deps.admitReturn(link.id, frame)) return;
      deps.returning();
    }
    deps.dispatch(link, frame);
  };
}
