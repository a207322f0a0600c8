import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EXTEND_LISTING_MAX_AGE_MS, signExtendListing, verifyExtendListing } from './extend-listing.js';
import { decodeFrame, encodeFrame } from './codec.js';
import { generateKeyPair } from './signatures.js';

const master = generateKeyPair();
const key = createPrivateKey(master.privatePem);
const NOW = 1_800_000_000_000;
const entry = { name: 'myapp', path: '_compiled/modules/myapp.js', sha256: 'a'.repeat(64), size: 10 };
const listing = signExtendListing(key, 'web1', { kind: 'modules', issuedAt: NOW, entries: [entry], errors: [] });

describe('signed extension listings', () => {
  it('verifies a listing for its minion, kind and time', () => {
    expect(verifyExtendListing(master.publicRaw, 'web1', { kind: 'modules', now: NOW }, listing)).toEqual({ ok: true });
  });

  it.each([
    ['another minion', 'db1', {}, 'bad_signature'],
    ['an edited hash', 'web1', { entries: [{ ...entry, sha256: 'b'.repeat(64) }] }, 'bad_signature'],
    ['an added entry', 'web1', { entries: [entry, { ...entry, name: 'evil' }] }, 'bad_signature'],
    ['a removed compile error', 'web1', { errors: [{ name: 'x', message: 'y' }] }, 'bad_signature'],
    ['another kind', 'web1', { kind: 'states' as const }, 'wrong_kind'],
    ['an old listing', 'web1', { issuedAt: NOW - EXTEND_LISTING_MAX_AGE_MS - 1 }, 'stale'],
  ])('refuses %s', (_what, id, change, reason) => {
    const got = verifyExtendListing(master.publicRaw, id, { kind: 'modules', now: NOW }, { ...listing, ...change });
    expect(got).toEqual({ ok: false, reason });
  });

  it('round-trips in a file.listing frame, and file.list carries the kind asked for', () => {
    const bytes = encodeFrame({ type: 'file.listing', reqId: 3, paths: [entry.path], signed: listing });
    const back = decodeFrame(bytes);
    expect(back.ok && back.frame.type === 'file.listing' && back.frame.signed).toMatchObject({ entries: [entry] });
    const ask = decodeFrame(encodeFrame({ type: 'file.list', reqId: 4, prefix: '', extend: 'grains' }));
    expect(ask.ok && ask.frame.type === 'file.list' && ask.frame.extend).toBe('grains');
    const bad = decodeFrame(encodeFrame({ type: 'file.list', reqId: 4, prefix: '', extend: 'nope' as 'grains' }));
    expect(bad.ok).toBe(false);
  });
});
