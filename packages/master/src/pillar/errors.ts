import { ErrorCode } from '@brine/protocol';
import { MasterError } from '../errors.js';

/**
 * Stable codes of pillar and mine errors; tests assert these, never the text. They reach minions
 * in `pillar.data` and `mine.response` frames, so they are the protocol's {@link ErrorCode}s.
 */
export const PillarErrorCode = {
  /** A pillar file (or top.sls) did not render: Jinja, YAML, a missing include; `file:line` in the message. */
  COMPILE: ErrorCode.PILLAR_COMPILE,
  /** An encrypted value the master cannot decrypt: no identity, or not encrypted for it. */
  DECRYPT: ErrorCode.PILLAR_DECRYPT,
  /** A minion asked for a pillar that is not its own. */
  FORBIDDEN: ErrorCode.PILLAR_FORBIDDEN,
  /** A job carried `pillar=` overrides and its user lacks `@pillar_override`. */
  OVERRIDE_DENIED: ErrorCode.PILLAR_OVERRIDE_DENIED,
  /** A compiled pillar larger than a frame may be (`max_frame_bytes`): it is not sent. */
  TOO_LARGE: ErrorCode.PILLAR_TOO_LARGE,
  /** An external pillar source failed. */
  EXTERNAL: ErrorCode.PILLAR_EXTERNAL,
  /** A mine request the master refuses (a bad target, or reading what the access rule denies). */
  MINE: ErrorCode.MINE_REQUEST,
} as const;

/** One of {@link PillarErrorCode}. */
export type PillarErrorCodeValue = (typeof PillarErrorCode)[keyof typeof PillarErrorCode];

/** An error of pillar compilation or delivery, with a code from {@link PillarErrorCode}. */
export class PillarError extends MasterError {
  constructor(
    override readonly code: PillarErrorCodeValue,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
