/** What {@link returnGate} needs: the job manager's record of attempts, and where acks go. */
export interface ReturnGateDeps {
  /** Whether this master published `attempt` of `jid` (JobManager.attemptPublished). */
  attemptPublished(jid: string, attempt: number): boolean;
  /** Acks a return to its minion, so it leaves the minion's outbox. */
  ack(minionId: string, items: [string, number][]): void;
  /** Told of each return dropped, for the log. */
  dropped(minionId: string, jid: string, attempt: number): void;
}

/**
 * The check a minion's return passes before ingest: it must answer an attempt this master
 * published. A minion cannot make up a later attempt to overwrite its stored result; a return
 * that fails is dropped, and acked all the same, so the minion stops resending it.
 *
 * @returns a function telling, for one return, whether it goes on to ingest
 */
export function returnGate(deps: ReturnGateDeps): (minionId: string, ret: { jid: string; attempt: number }) => boolean {
  return (minionId, { jid, attempt }) => {
    if (deps.attemptPublished(jid, attempt)) return true;
    deps.dropped(minionId, jid, attempt);
    deps.ack(minionId, [[jid, attempt]]);
    return false;
  };
}
