import { z } from 'zod';
import { SignContext, signBytes, transcript, verifyBytes } from './signatures.js';
import type { KeyObject } from 'node:crypto';

/** The kinds of extension a minion syncs from the master's file roots (`_modules/`, ...). */
export const EXTEND_KINDS = ['modules', 'states', 'grains', 'beacons'] as const;
/** One kind of extension. */
export type ExtendKind = (typeof EXTEND_KINDS)[number];

/** One compiled extension file: its name, the path to fetch it by, and its SHA-256 and size. */
export const extendEntrySchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/),
  path: z.string().max(4096),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
/** One compiled extension file of a listing. */
export type ExtendEntry = z.infer<typeof extendEntrySchema>;

/** A source file the master could not compile, reported to the minion that syncs it. */
export const extendErrorSchema = z.object({ name: z.string().max(256), message: z.string().max(4096) });

/**
 * The master's signed listing of one kind of extension for one minion. The signature covers the
 * minion's id, the kind, the time it was issued and every entry, so a listing cannot be moved to
 * another minion or kind, edited, or replayed after {@link EXTEND_LISTING_MAX_AGE_MS}.
 */
export const signedExtendListingSchema = z.object({
  kind: z.enum(EXTEND_KINDS),
  issuedAt: z.number().int().nonnegative(),
  entries: z.array(extendEntrySchema).max(1000),
  errors: z.array(extendErrorSchema).max(1000),
  sig: z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes' }),
});
/** A signed listing as it travels in `file.listing`. */
export type SignedExtendListing = z.infer<typeof signedExtendListingSchema>;

/** How old a listing may be (either way, for clock skew) before a minion refuses it. */
export const EXTEND_LISTING_MAX_AGE_MS = 10 * 60_000;

type Unsigned = Omit<SignedExtendListing, 'sig'>;

function listingTranscript(minionId: string, l: Unsigned): Buffer {
  // Entries and errors are plain strings and numbers; JSON of them in listed order is canonical.
  return transcript(SignContext.extendListing, [
    minionId,
    l.kind,
    String(l.issuedAt),
    JSON.stringify(l.entries.map((e) => [e.name, e.path, e.sha256, e.size])),
    JSON.stringify(l.errors.map((e) => [e.name, e.message])),
  ]);
}

/** Signs a listing for one minion with the master's identity key. */
export function signExtendListing(privateKey: KeyObject, minionId: string, l: Unsigned): SignedExtendListing {
  return { ...l, sig: signBytes(privateKey, listingTranscript(minionId, l)) };
}

/**
 * Checks a listing against the pinned master key, this minion's id, the kind asked for and the
 * clock. Never throws: returns the reason (an identifier) when the listing is refused.
 */
export function verifyExtendListing(
  masterPub: Uint8Array,
  minionId: string,
  expect: { kind: ExtendKind; now: number },
  l: SignedExtendListing,
): { ok: true } | { ok: false; reason: 'wrong_kind' | 'stale' | 'bad_signature' } {
  if (l.kind !== expect.kind) return { ok: false, reason: 'wrong_kind' };
  if (Math.abs(expect.now - l.issuedAt) > EXTEND_LISTING_MAX_AGE_MS) return { ok: false, reason: 'stale' };
  if (!verifyBytes(masterPub, listingTranscript(minionId, l), l.sig)) return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}
