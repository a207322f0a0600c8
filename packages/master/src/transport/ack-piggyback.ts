import type { MinionLink } from '../core/minion-link.js';
import type { TransportLink } from './minion-connection.js';

/** What {@link createAckPiggyback} needs. */
export interface AckPiggybackDeps {
  /** Takes the acks waiting for a minion as one `ret.ack` frame (AckCoalescer.take). */
  takeAcks(minionId: string): Uint8Array | undefined;
  /** Told before each job frame is sent (the fault-injection point `publish`). */
  onPublish?(): void;
}

/**
 * Acks riding with the next job: the acks of a minion's stored returns that are still waiting go
 * out in the same socket write as the next job published to it (one write, one TLS record, for
 * the fan-out that follows a fan-out). One per master: job frames are marked when made and known
 * by identity when sent.
 */
export interface AckPiggyback {
  /** Wraps a job's per-minion frame maker so the frames it makes are known as job frames. */
  jobFrames(forMinion: (id: string) => Uint8Array | undefined): (id: string) => Uint8Array | undefined;
  /** The link core should use for a transport link: a job frame sent on it takes the acks along. */
  wrap(link: TransportLink): MinionLink;
  /** The wrapper made for a transport link (the link itself if none), for detaching it. */
  wrapperOf(link: MinionLink): MinionLink;
}

/** Makes an {@link AckPiggyback}. */
export function createAckPiggyback(deps: AckPiggybackDeps): AckPiggyback {
  const jobFrameSet = new WeakSet<Uint8Array>();
  // Closes arrive with the plain link; the registry holds the wrapper.
  const wrappers = new WeakMap<MinionLink, MinionLink>();
  return {
    jobFrames: (forMinion) => (id) => {
      const bytes = forMinion(id);
      if (bytes) jobFrameSet.add(bytes);
      return bytes;
    },
    wrap: (plain) => {
      const link: MinionLink = {
        id: plain.id,
        close: (reason) => plain.close(reason),
        send: (bytes) => {
          if (!jobFrameSet.has(bytes)) return plain.send(bytes);
          deps.onPublish?.();
          const ack = deps.takeAcks(plain.id);
          return ack ? plain.sendPair(ack, bytes) : plain.send(bytes);
        },
      };
      wrappers.set(plain, link);
      return link;
    },
    wrapperOf: (link) => wrappers.get(link) ?? link,
  };
}
