import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * A complete binary WebSocket frame around a payload (RFC 6455 §5.2: FIN, opcode 2, unmasked, as
 * a server sends it), in one buffer.
 *
 * `ws.send` frames each message anew and writes header and payload as two buffers (a `writev`,
 * which TLS then copies into one record). A job published to ten thousand minions is the same
 * frame ten thousand times, so the master frames it once and writes the one buffer to each socket:
 * encode once, frame once, send many.
 */
export function binaryFrame(payload: Uint8Array): Buffer {
  const n = payload.byteLength;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x82;
  if (n < 126) {
    out[1] = n;
  } else if (n < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  out.set(payload, head);
  return out;
}

/**
 * Frames made once and written to many sockets: {@link binaryFrame} remembering the last payload,
 * and the last pair of payloads joined. One per master, shared by all its connections (a fan-out
 * to ten thousand minions frames its job once); made by {@link createFrameMemo}.
 */
export interface FrameMemo {
  /** {@link binaryFrame}, remembering the last payload framed: a fan-out frames its job once. */
  framed(payload: Uint8Array): Buffer;
  /**
   * Two payloads framed and joined into one buffer, remembering the last pair by identity: in a
   * fan-out every minion gets the same acks (of the previous job's return) with the same job, so
   * ten thousand writes share one buffer.
   */
  framedPair(first: Uint8Array, second: Uint8Array): Buffer;
}

/** Makes a {@link FrameMemo}: its memory is its own, nothing is shared between two memos. */
export function createFrameMemo(): FrameMemo {
  let lastPayload: Uint8Array | undefined;
  let lastFrame: Buffer | undefined;
  let lastPair: readonly [Uint8Array, Uint8Array, Buffer] | undefined;
  const framed = (payload: Uint8Array): Buffer => {
    if (payload !== lastPayload || !lastFrame) {
      lastFrame = binaryFrame(payload);
      lastPayload = payload;
    }
    return lastFrame;
  };
  return {
    framed,
    framedPair: (first, second) => {
      if (lastPair && lastPair[0] === first && lastPair[1] === second) return lastPair[2];
      const joined = Buffer.concat([binaryFrame(first), framed(second)]);
      lastPair = [first, second, joined];
      return joined;
    },
  };
}

/**
 * Writes whole frames, in one buffer, straight to an open WebSocket's socket: one TLS record, one
 * system call. Safe beside `ws.send` because, with permessage-deflate off and no Blob payloads, ws
 * writes every message to the socket synchronously and keeps no queue of its own: the order of
 * writes is the order of calls. The caller checks `readyState === OPEN` first.
 */
export function writeFrame(ws: WebSocket, frame: Buffer): void {
  (ws as unknown as { _socket: Socket })._socket.write(frame);
}
