import { encodeFrame, type ExtendKind, type Frame, type SignedExtendListing } from '@brine/protocol';
import type { EventBus } from '../core/event-bus.js';
import type { FrameRouter } from '../core/frame-router.js';
import type { MinionLink } from '../core/minion-link.js';
import type { MinionRegistry } from '../core/registry.js';
import type { ReturnIngest } from '../core/return-ingest.js';
import type { MinionCache } from '../store/minion-cache.js';
import type { MineService } from '../mine/mine-service.js';
import { answerPillarRequest, pushPillar, type PillarDeliveryDeps } from '../pillar/pillar-delivery.js';
import type { ServedFiles } from '../files/served-files.js';

/** What frame dispatch reaches. */
export interface DispatchDeps {
  /** Where job frames go (with several masters, on to the job's owner when it is elsewhere). */
  router: Pick<FrameRouter, 'route'>;
  /** Where returns go (with several masters, after the acks and progress routed before them). */
  ingest: Pick<ReturnIngest, 'submit'>;
  bus: EventBus;
  registry: MinionRegistry;
  cache: MinionCache;
  files: ServedFiles;
  /** The signed listing of compiled extensions for one minion (issue #21); absent: none served. */
  extendListing?(minionId: string, kind: ExtendKind): Promise<SignedExtendListing>;
  pillar: PillarDeliveryDeps;
  mine: Pick<MineService, 'handle'>;
  now(): number;
  /** Rate limit of minion events; without it every event is published. */
  events?: { allow(minionId: string, now: number): { allow: boolean; report?: number } };
  /** Told when a minion's events are dropped by the limit (how many since the last report). */
  eventsDropped?(minionId: string, count: number): void;
}

/**
 * The bus tag of a minion's event: `brine/minion/<id>/<tag>`, or for a beacon's
 * (`beacon/<name>/...`) `brine/beacon/<id>/<name>/...` as Salt files them under
 * `salt/beacon/<id>/<name>/`. Undefined for a tag with empty or `..` parts.
 */
export function minionEventTag(minionId: string, raw: string): string | undefined {
  const tag = raw.replace(/^\/+/, '');
  if (tag.split('/').some((seg) => seg === '..' || seg === '')) return undefined;
  return tag.startsWith('beacon/') ? `brine/beacon/${minionId}/${tag.slice(7)}` : `brine/minion/${minionId}/${tag}`;
}

/**
 * A minion event's data with `id` set to the sender, as Salt's master adds it (`data['id']` in
 * reactor templates); a minion-supplied `id` is overwritten, so it cannot speak for another.
 * Data that is not a mapping is left as it is.
 */
function withSender(minionId: string, data: unknown): unknown {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? { ...data, id: minionId } : data;
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
      const tag = minionEventTag(minionId, frame.tag);
      if (tag === undefined) return;
      const verdict = d.events?.allow(minionId, d.now());
      if (verdict?.report !== undefined) d.eventsDropped?.(minionId, verdict.report);
      if (verdict && !verdict.allow) return;
      d.bus.publish(tag, withSender(minionId, frame.data));
      return;
    }
    case 'grains.update':
      d.registry.updateGrains(minionId, frame.grains);
      d.cache.save(minionId, frame.grains, d.now());
      // New grains may assign other pillar SLS: compile again and send it (and refresh -I facts).
      if (d.pillar.configured) void pushPillar(link, d.pillar);
      return;
    case 'pillar.get':
      answerPillarRequest(link, frame, d.pillar);
      return;
    case 'mine.request': {
      const answer = d.mine.handle(minionId, frame);
      link.send(
        encodeFrame(
          answer.ok
            ? { type: 'mine.response', reqId: frame.reqId, data: answer.data }
            : { type: 'mine.response', reqId: frame.reqId, data: null, error: answer.error },
        ),
      );
      return;
    }
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
