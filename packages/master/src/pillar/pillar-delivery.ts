import { encodeFrame, type Frame, type FrameInput } from '@brine/protocol';
import type { Logger } from 'pino';
import type { MinionLink } from '../core/minion-link.js';
import { PillarErrorCode } from './errors.js';
import type { PillarService } from './pillar-service.js';
import type { PillarResult } from './compile-pillar.js';

/** What pillar delivery uses. */
export interface PillarDeliveryDeps {
  service: Pick<PillarService, 'get'>;
  log: Logger;
  /** Whether any pillar source is configured: without one, nothing is pushed (see `MasterPillar`). */
  configured: boolean;
  /** Largest frame a minion accepts (`max_frame_bytes`); a bigger pillar is refused, not sent. */
  maxFrameBytes: number;
}

/**
 * Sends a minion its own pillar over its own link: `reqId` 0 is a push (on connect, after a
 * grains update). Nothing of the pillar is logged, not even a compile error's text (a YAML
 * error quotes the line it failed on): only the minion id and the error code.
 */
export async function pushPillar(link: MinionLink, d: PillarDeliveryDeps, reqId = 0, saltenv?: string): Promise<void> {
  let result: PillarResult | undefined;
  try {
    result = await d.service.get(link.id, saltenv);
  } catch (err) {
    d.log.error({ minionId: link.id, code: (err as { code?: string }).code }, 'pillar compile failed');
  }
  const frame: FrameInput<'pillar.data'> =
    result === undefined
      ? {
          type: 'pillar.data',
          reqId,
          pillar: {},
          error: { code: PillarErrorCode.COMPILE, message: 'pillar compile failed on the master' },
        }
      : result.ok
        ? { type: 'pillar.data', reqId, pillar: result.pillar }
        : { type: 'pillar.data', reqId, pillar: {}, error: result.error };
  if (result !== undefined && !result.ok)
    d.log.warn({ minionId: link.id, code: result.error.code }, 'pillar did not compile');
  const bytes = encodeFrame(frame);
  if (bytes.byteLength <= d.maxFrameBytes) {
    link.send(bytes);
    return;
  }
  d.log.warn(
    { minionId: link.id, bytes: bytes.byteLength, code: PillarErrorCode.TOO_LARGE },
    'pillar too large to send',
  );
  const message = `the compiled pillar is ${bytes.byteLength} bytes encoded; a frame holds at most ${d.maxFrameBytes} (max_frame_bytes)`;
  link.send(
    encodeFrame({ type: 'pillar.data', reqId, pillar: {}, error: { code: PillarErrorCode.TOO_LARGE, message } }),
  );
}

/**
 * Answers a `pillar.get`: the sender's own pillar. A request naming another id is refused with
 * `ERR_PILLAR_FORBIDDEN` and audited (`audit: true`, both ids); the other pillar is not compiled.
 */
export function answerPillarRequest(link: MinionLink, frame: Frame<'pillar.get'>, d: PillarDeliveryDeps): void {
  if (frame.id !== undefined && frame.id !== link.id) {
    d.log.warn(
      { audit: true, minionId: link.id, requested: frame.id, code: PillarErrorCode.FORBIDDEN },
      'pillar request for another minion refused',
    );
    link.send(
      encodeFrame({
        type: 'pillar.data',
        reqId: frame.reqId,
        pillar: {},
        error: { code: PillarErrorCode.FORBIDDEN, message: 'a minion receives only its own pillar' },
      }),
    );
    return;
  }
  void pushPillar(link, d, frame.reqId, frame.saltenv);
}
