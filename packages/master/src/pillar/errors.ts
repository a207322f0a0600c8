import { MasterError } from '../errors.js';

/** Stable codes of pillar and mine errors; tests assert these, never the text. */
export const PillarErrorCode = {
  /** A pillar file (or top.sls) did not render: Jinja, YAML, a missing include; `file:line` in the message. */
  COMPILE: 'ERR_PILLAR_COMPILE',
  /** An encrypted value the master cannot decrypt: no identity, or not encrypted for it. */
  DECRYPT: 'ERR_PILLAR_DECRYPT',
  /** A minion asked for a pillar that is not its own. */
  FORBIDDEN: 'ERR_PILLAR_FORBIDDEN',
  /** A job carried `pillar=` overrides and its user lacks `@pillar_override`. */
  OVERRIDE_DENIED: 'ERR_PILLAR_OVERRIDE_DENIED',
  /** A compiled pillar larger than a frame may be (`max_frame_bytes`): it is not sent. */
  TOO_LARGE: 'ERR_PILLAR_TOO_LARGE',
  /** An external pillar source failed. */
  EXTERNAL: 'ERR_PILLAR_EXTERNAL',
  /** A mine request the master refuses (a bad target, or reading what the access rule denies). */
  MINE: 'ERR_MINE_REQUEST',
} as const;

/** One of {@link PillarErrorCode}. */
export type PillarErrorCodeValue = (typeof PillarErrorCode)[keyof typeof PillarErrorCode];

/** An error of pillar compilation or delivery, with a code from {@link PillarErrorCode}. */
export class PillarError extends MasterError {
  constructor(
    override readonly code: PillarErrorCodeValue,
    message: string,
  ) {
    super(code, message);
  }
}
