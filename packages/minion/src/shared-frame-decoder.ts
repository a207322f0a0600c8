import { decodeFrame, type DecodeResult } from '@brine/protocol';

/**
 * Frames a swarm's minions receive byte for byte alike and only read: a published job, and the
 * acks of a fan-out's returns (the same jid for every minion, sent with the next job).
 */
const SHARED_FRAME_TYPES = new Set(['job.publish', 'ret.ack']);

/**
 * A decoder shared by a swarm's minions: a job published to all of them arrives as the same bytes
 * on every connection (and so do its acks), so the last few such frames' bytes and decoded forms
 * are kept, and an equal frame is not decoded (and schema-checked) again. Decoded frames are
 * never modified after decoding (the memoizing verifier already hands every minion the same spec).
 */
export function sharedFrameDecoder(maxFrameBytes: number, keep = 8): (bytes: Buffer) => DecodeResult {
  // Newest last. Several jobs in flight at once arrive interleaved, so a few are kept.
  const recent: { bytes: Buffer; result: DecodeResult }[] = [];
  return (bytes) => {
    for (let i = recent.length - 1; i >= 0; i--) {
      const r = recent[i]!;
      if (r.bytes.length === bytes.length && r.bytes.equals(bytes)) return r.result;
    }
    const result = decodeFrame(bytes, { maxFrameBytes });
    if (result.ok && SHARED_FRAME_TYPES.has(result.frame.type)) {
      if (recent.length >= keep) recent.shift();
      recent.push({ bytes: Buffer.from(bytes), result });
    }
    return result;
  };
}
