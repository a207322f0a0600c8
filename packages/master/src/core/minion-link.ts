import type { ProgressStreamValue } from '@brine/protocol';
/**
 * One authenticated minion connection, as core sees it. The transport layer implements it.
 *
 * An implementation owes:
 * - `send` never throws: it returns false when the link is closed or the peer is a slow reader
 *   over its buffer cap (and then closes the link itself);
 * - the same `Uint8Array` may be passed to many links (encode once, send many), so `send` must
 *   not modify or keep a mutable view of it after the write is queued;
 * - `close` is idempotent and ends in a `disconnected` event for the minion.
 */
export interface MinionLink {
  readonly id: string;
  /** Queues pre-encoded frame bytes for the minion. */
  send(bytes: Uint8Array): boolean;
  /** Closes the connection, with an identifier saying why (`key_rejected`, `shutdown`). */
  close(reason: string): void;
}

/** A frame from a minion about a job, after decoding and sender checks. */
export type JobFrame =
  | {
      kind: 'ack';
      minionId: string;
      jid: string;
      attempt: number;
      state: 'started' | 'duplicate' | 'refused';
      code?: string;
    }
  | { kind: 'progress'; minionId: string; jid: string; stream: ProgressStreamValue; data: string }
  | {
      kind: 'return';
      minionId: string;
      jid: string;
      attempt: number;
      outcome: 'returned' | 'interrupted' | 'cancelled' | 'timed_out';
      ret: unknown;
      retcode: number;
      success: boolean;
      durationMs: number;
    };

/** A connection state change of one minion. */
export interface ConnectionChange {
  id: string;
  connected: boolean;
}
