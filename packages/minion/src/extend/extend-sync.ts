import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyExtendListing, type ExtendEntry, type ExtendKind, type SignedExtendListing } from '@brine/protocol';
import { MinionError, MinionErrorCode } from '../errors.js';

/** Codes of the extension sync; tests assert these. */
export const ExtendSyncCode = {
  /** The master sent no signed listing (an older master, or it could not make one). */
  unsigned: MinionErrorCode.extendUnsigned,
  /** The listing's signature, kind or age did not check out against the pinned master key. */
  listingRefused: MinionErrorCode.extendListing,
  /** A fetched file's SHA-256 or size differs from the signed listing: nothing was installed. */
  hashMismatch: MinionErrorCode.extendHash,
} as const;

/** What a sync reaches: the file server and the pinned master key. */
export interface SyncDeps {
  files: {
    listExtend(kind: ExtendKind): Promise<SignedExtendListing | undefined>;
    getFile(path: string, dest: string): Promise<{ sha256: string; size: number }>;
  };
  /** The pinned key of the master this minion is connected to; undefined while offline. */
  masterPub(): Uint8Array | undefined;
  minionId: string;
  /** The minion's extension directory (`<state_dir>/extend`). */
  dir: string;
  now(): number;
}

/** What a sync of one kind changed, and what the master could not compile. */
export interface SyncReport {
  kind: ExtendKind;
  /** Names now installed whose content is new or changed. */
  changed: string[];
  /** Names installed before and gone from the master now. */
  removed: string[];
  /** Sources the master failed to compile, by name. */
  compileErrors: Record<string, string>;
}

/**
 * Syncs one kind of extension: asks the master for its signed listing, verifies it against the
 * pinned master key, fetches every file into a staging directory, checks each against the signed
 * SHA-256 and size, and swaps the staging directory in place of `<dir>/<kind>` only when all of
 * them check out. Rejects with a {@link MinionError} and leaves the installed set untouched otherwise.
 */
export async function syncKind(kind: ExtendKind, d: SyncDeps): Promise<SyncReport> {
  const pub = d.masterPub();
  const listing = await d.files.listExtend(kind);
  if (!listing || !pub) throw new MinionError(ExtendSyncCode.unsigned, `the master sent no signed listing of ${kind}`);
  const check = verifyExtendListing(pub, d.minionId, { kind, now: d.now() }, listing);
  if (!check.ok) throw new MinionError(ExtendSyncCode.listingRefused, `listing of ${kind} refused: ${check.reason}`);
  mkdirSync(d.dir, { recursive: true, mode: 0o700 });
  const staging = join(d.dir, `.staging-${kind}-${randomBytes(6).toString('hex')}`);
  mkdirSync(staging, { mode: 0o700 });
  try {
    for (const entry of listing.entries) await fetchChecked(entry, staging, d);
    writeFileSync(join(staging, 'listing.json'), JSON.stringify(listing.entries));
    const before = installedEntries(d.dir, kind);
    swapIn(staging, join(d.dir, kind));
    return report(kind, before, listing);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function fetchChecked(entry: ExtendEntry, staging: string, d: SyncDeps): Promise<void> {
  const dest = join(staging, `${entry.name}.js`);
  await d.files.getFile(entry.path, dest);
  // The file server's own hash only proves the bytes arrived whole; the signed listing is the authority.
  const buf = readFileSync(dest);
  const sha256 = createHash('sha256').update(buf).digest('hex');
  if (sha256 !== entry.sha256 || buf.byteLength !== entry.size)
    throw new MinionError(
      ExtendSyncCode.hashMismatch,
      `${entry.name}: file does not match the master's signed listing`,
    );
}

/**
 * Puts `staging` at `target`: the old directory moves aside and the new one takes its name, each
 * a rename. A crash between the two leaves `<target>.old`, which {@link installedDir} falls back to.
 */
function swapIn(staging: string, target: string): void {
  const old = `${target}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(staging, target);
  rmSync(old, { recursive: true, force: true });
}

/** The directory the installed extensions of one kind load from, or undefined when there is none. */
export function installedDir(dir: string, kind: ExtendKind): string | undefined {
  for (const candidate of [join(dir, kind), join(dir, `${kind}.old`)])
    if (existsSync(join(candidate, 'listing.json'))) return candidate;
  return undefined;
}

/** The entries installed for one kind, as its listing recorded them. */
export function installedEntries(dir: string, kind: ExtendKind): ExtendEntry[] {
  const at = installedDir(dir, kind);
  if (!at) return [];
  try {
    return JSON.parse(readFileSync(join(at, 'listing.json'), 'utf8')) as ExtendEntry[];
  } catch {
    return [];
  }
}

/** Removes every installed extension (`saltutil.clear_cache`). */
export function clearInstalled(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function report(kind: ExtendKind, before: readonly ExtendEntry[], listing: SignedExtendListing): SyncReport {
  const old = new Map(before.map((e) => [e.name, e.sha256]));
  const now = new Set(listing.entries.map((e) => e.name));
  return {
    kind,
    changed: listing.entries.filter((e) => old.get(e.name) !== e.sha256).map((e) => e.name),
    removed: [...old.keys()].filter((n) => !now.has(n)),
    compileErrors: Object.fromEntries(listing.errors.map((e) => [e.name, e.message])),
  };
}
