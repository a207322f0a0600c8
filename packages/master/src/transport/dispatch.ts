import { encodeFrame, type ExtendKind, type Frame, type SignedExtendListing } from '@brine/protocol';
import type { EventBus } from '../core/event-bus.js';
import type { FrameRouter } from '../core/frame-router.js';
import type { MinionLink } from '../core/minion-link.js';
import type { MinionRegistry } from '../core/registry.js';
import type { ReturnIngest } from '../core/return-ingest.js';
import type { MinionCache } from '../store/minion-cache.js';
import type { ServedFiles } from '../files/served-files.js';

/** What frame dispatch reaches. */
export interface DispatchDeps {
  router: FrameRouter;
  ingest: ReturnIngest;
  bus: EventBus;
  registry: MinionRegistry;
  cache: MinionCache;
  files: ServedFiles;
  /** The signed listing of compiled extensions for one minion (issue #21); absent: none served. */
  extendListing?(minionId: string, kind: ExtendKind): Promise<SignedExtendListing>;
  now(): number;
}

/**
 * Handles a frame from an authenticated minion. The sender is always the link's own id: no frame
 * field can make a minion speak for another, and minion events land under `brine/minion/<id>/`.
 */
export function dispatchMinionFrame(link: MinionLink, frame: Frame, d: DispatchDeps): void {
  const minionId = link.id;
  switch (frame.type) {
    case 'job.ack':
      d.bus.publish(`brine/job/${frame.jid}/ack/${minionId}`, {
        state: frame.state,
        attempt: frame.attempt,
        code: frame.code,
      });
      d.router.route({
        kind: 'ack',
        minionId,
        jid: frame.jid,
        attempt: frame.attempt,
        state: frame.state,
        ...(frame.code ? { code: frame.code } : {}),
      });
      return;
    case 'job.progress':
      d.router.route({ kind: 'progress', minionId, jid: frame.jid, stream: frame.stream, data: frame.data });
      return;
    case 'job.return':
      // A job that finished at once sends no separate ack; its return stands for it.
      if (frame.implicitAck)
        d.bus.publish(`brine/job/${frame.jid}/ack/${minionId}`, { state: 'started', attempt: frame.attempt });
      d.ingest.submit({
        kind: 'return',
        minionId,
        jid: frame.jid,
        attempt: frame.attempt,
        outcome: frame.outcome,
        ret: frame.ret,
        retcode: frame.retcode,
        success: frame.success,
        durationMs: Math.max(0, frame.endedAt - frame.startedAt),
      });
      return;
    case 'event': {
      const tag = frame.tag.replace(/^\/+/, '');
      if (tag.split('/').some((seg) => seg === '..' || seg === '')) return;
      d.bus.publish(`brine/minion/${minionId}/${tag}`, frame.data);
      return;
    }
    case 'grains.update':
      d.registry.updateGrains(minionId, frame.grains);
      d.cache.save(minionId, frame.grains, d.now());
      return;
    case 'file.request': {
      // Only authenticated, accepted minions reach here (FRAME_SENDERS): pending ones get no file.
      const chunk = d.files.read(frame.path, frame.offset);
      link.send(
        encodeFrame(
          chunk.ok
            ? {
                type: 'file.chunk',
                reqId: frame.reqId,
                data: chunk.data,
                size: chunk.size,
                sha256: chunk.sha256,
                eof: chunk.eof,
              }
            : {
                type: 'file.chunk',
                reqId: frame.reqId,
                data: new Uint8Array(0),
                size: 0,
                sha256: '',
                eof: true,
                error: { code: chunk.code, message: chunk.message },
              },
        ),
      );
      return;
    }
    case 'file.list':
      if (frame.extend !== undefined) {
        sendExtendListing(link, frame.reqId, frame.extend, d);
        return;
      }
      link.send(encodeFrame({ type: 'file.listing', reqId: frame.reqId, paths: d.files.list(frame.prefix) }));
      return;
    default:
      return;
  }
}

/** Answers a signed-listing request; an empty unsigned listing when none can be made (the minion refuses it). */
function sendExtendListing(link: MinionLink, reqId: number, kind: ExtendKind, d: DispatchDeps): void {
  const empty = () => link.send(encodeFrame({ type: 'file.listing', reqId, paths: [] }));
  if (!d.extendListing) return void empty();
  d.extendListing(link.id, kind).then(
    (signed) =>
      link.send(encodeFrame({ type: 'file.listing', reqId, paths: signed.entries.map((e) => e.path), signed })),
    () => empty(),
  );
}
