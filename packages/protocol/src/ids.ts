import { ErrorCode, type WireError } from './errors.js';

/** Longest minion id accepted, in characters. */
export const MAX_MINION_ID_LENGTH = 128;

const MINION_ID = /^[A-Za-z0-9][A-Za-z0-9._@+:-]*$/;

/**
 * Checks a minion id before anything uses it as a file name or a tag segment: 1 to 128
 * characters of letters, digits and `. _ @ + : -`, starting with a letter or digit, never `..`.
 */
export function validateMinionId(id: unknown): { ok: true; id: string } | { ok: false; error: WireError } {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_MINION_ID_LENGTH) {
    return {
      ok: false,
      error: { code: ErrorCode.MINION_ID_INVALID, message: 'minion id must be 1 to 128 characters' },
    };
  }
  if (!MINION_ID.test(id) || id.includes('..')) {
    return {
      ok: false,
      error: { code: ErrorCode.MINION_ID_INVALID, message: 'minion id holds a character that is not allowed' },
    };
  }
  return { ok: true, id };
}

/**
 * Makes a jid generator: 20 digits, `YYYYMMDDhhmmss` then six sub-second digits, in UTC, as Salt's
 * jids. Strictly increasing even when called many times in one millisecond. The clock is passed
 * in, so the protocol package keeps no time of its own.
 */
export function createJidGenerator(): (nowMs: number) => string {
  let last = 0;
  return (nowMs: number) => {
    // Microsecond resolution from the millisecond clock, bumped to stay unique and increasing.
    const candidate = Math.floor(nowMs) * 1000;
    last = candidate > last ? candidate : last + 1;
    return formatJid(last);
  };
}

function formatJid(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const sub = (ms % 1000) * 1000 + (micros % 1000);
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${pad(sub, 6)}`
  );
}

/** The start time of a jid, in milliseconds since the epoch; NaN for a malformed jid. */
export function jidTimeMs(jid: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})\d{3}$/.exec(jid);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
}
