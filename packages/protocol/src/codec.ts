import { Packr } from 'msgpackr';
import { ErrorCode, type WireError } from './errors.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  frameSchema,
  isFrameType,
  type Frame,
  type FrameInput,
} from './frames.js';

// Plain maps, no records: every frame stands alone, so a peer needs no shared structure state.
// No structured-clone references either: a frame is a tree, never a cycle or a shared object.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false });

/** Deepest nesting of maps and arrays a frame may hold, the frame's own map being depth 0. */
export const MAX_FRAME_DEPTH = 64;

/** The result of {@link decodeFrame}: never an exception. */
export type DecodeResult = { ok: true; frame: Frame } | { ok: false; error: WireError };

/** Options for {@link decodeFrame}. */
export interface DecodeOptions {
  /** Largest frame accepted. @default DEFAULT_MAX_FRAME_BYTES (1 MiB) */
  maxFrameBytes?: number;
}

/** Encodes a frame to msgpack bytes, stamping the protocol version. */
export function encodeFrame(frame: FrameInput): Buffer {
  return packr.pack({ v: PROTOCOL_VERSION, ...frame });
}

/** Encodes any plain value to msgpack (used for signed job specs). */
export function encodeValue(value: unknown): Buffer {
  return packr.pack(value);
}

/** Decodes msgpack bytes to a value; returns a coded error instead of throwing. */
export function decodeValue(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; error: WireError } {
  try {
    return { ok: true, value: packr.unpack(bytes) };
  } catch (err) {
    // msgpackr's message can quote the decoded value; keep peer bytes out of messages and logs.
    const truncated = (err as { incomplete?: unknown } | null)?.incomplete === true;
    return fail(ErrorCode.FRAME_MALFORMED, truncated ? 'truncated msgpack value' : 'not one msgpack value');
  }
}

/**
 * Decodes one frame: size, msgpack, plain data, version, type and schema are checked in that
 * order, and the first failure is returned as `{ok: false, error: {code}}`. Never throws.
 */
export function decodeFrame(bytes: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (bytes.byteLength > max) {
    return fail(ErrorCode.FRAME_TOO_LARGE, `frame of ${bytes.byteLength} bytes exceeds ${max}`);
  }
  const raw = decodeValue(bytes);
  if (!raw.ok) return raw;
  const value = raw.value;
  // msgpackr also decodes 64-bit integers to BigInt and extension types to typed arrays, Sets,
  // Errors and RegExps; JSON.stringify throws on a BigInt, so one such value in grains or an
  // event crashed the master. Frames carry JSON-like data only.
  if (!isPlainData(value, 0)) {
    return fail(ErrorCode.FRAME_MALFORMED, `a frame holds plain data nested at most ${MAX_FRAME_DEPTH} deep`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    return fail(ErrorCode.FRAME_MALFORMED, 'a frame is a map');
  }
  const record = value as Record<string, unknown>;
  const version = record['v'];
  if (version !== PROTOCOL_VERSION) {
    // Only a number is quoted: String() throws for a map like {toString: 1} (found by fuzzing).
    const shown = typeof version === 'number' ? String(version) : typeof version;
    return fail(ErrorCode.FRAME_VERSION, `protocol version ${shown} is not ${PROTOCOL_VERSION}`);
  }
  const type = record['type'];
  if (!isFrameType(type)) {
    return fail(ErrorCode.FRAME_UNKNOWN_TYPE, 'unknown frame type');
  }
  const parsed = frameSchema(type).safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') : '';
    return fail(ErrorCode.FRAME_SCHEMA, `${type}: ${where} ${issue?.message ?? 'invalid'}`.trim());
  }
  // The parse made a fresh object: it is stamped in place rather than copied once more.
  const frame = parsed.data as Record<string, unknown>;
  frame['v'] = PROTOCOL_VERSION;
  frame['type'] = type;
  return { ok: true, frame: frame as Frame };
}

/**
 * Whether a decoded value is JSON-like: null, undefined, booleans, numbers, strings, dates and
 * bytes, in plain arrays and maps, at most {@link MAX_FRAME_DEPTH} deep.
 */
function isPlainData(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null || value instanceof Date) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  if (value instanceof Uint8Array) return proto === Uint8Array.prototype || proto === Buffer.prototype;
  if (depth >= MAX_FRAME_DEPTH) return false;
  if (proto !== Array.prototype && proto !== Object.prototype) return false;
  for (const child of Object.values(value)) if (!isPlainData(child, depth + 1)) return false;
  return true;
}

function fail(code: string, message: string): { ok: false; error: WireError } {
  return { ok: false, error: { code, message } };
}
