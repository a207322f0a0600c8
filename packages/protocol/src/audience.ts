import { hash } from 'node:crypto';

/**
 * The minions a job was sent to, committed to in its signed spec: a Merkle tree over pages of
 * up to {@link AUDIENCE_PAGE_SIZE} minion ids, whose root and id count the master signs once per
 * job. Each minion is sent its page (its own id and up to 15 others) and the sibling hashes up
 * to the root, and checks for itself that it was selected (issue #13, finding 5).
 *
 * Why pages and not one leaf per id: the master builds the tree on the fan-out's hot path. One
 * leaf per id is 2n hashes (about 20 ms for 10,000 minions here); pages of 16 are n/8 (about
 * 1.5 ms), and the 16 minions of a page receive the very same frame bytes, so the transport's
 * encode-once, frame-once write and the swarm's shared decoder still serve 15 of every 16. A
 * proof is about 16 ids and log2(n/16) hashes: some 560 bytes at 10,000 minions.
 */
export const AUDIENCE_PAGE_SIZE = 16;

/** What the master signs: the tree's root and how many ids it holds (which fixes its shape). */
export interface AudienceCommitment {
  root: Uint8Array;
  count: number;
}

/** What one minion needs to check its selection: its page, the page's index and the sibling path. */
export interface AudienceProof {
  page: number;
  ids: string[];
  /** Sibling hashes from the page up to the root, 32 bytes each, concatenated. */
  path: Uint8Array;
}

/** A built audience: its commitment and the proof for any page. */
export interface AudienceTree {
  commitment: AudienceCommitment;
  /** The page holding `id`; undefined when `id` is not in the audience. */
  pageOf(id: string): number | undefined;
  /** The proof for a page (every id of the page shares it). */
  proof(page: number): AudienceProof;
}

const LEAF = 0;
const NODE = Buffer.from([1]);
const ROOT = Buffer.from([2]);

/** The hash of one page: domain byte 0, then each id length-prefixed (a page is never a node). */
function pageHash(ids: readonly string[]): Buffer {
  // One buffer per page, written in place: this runs for every page of a 10,000-minion fan-out.
  let size = 1;
  for (const id of ids) size += 4 + Buffer.byteLength(id, 'utf8');
  const buf = Buffer.allocUnsafe(size);
  buf[0] = LEAF;
  let at = 1;
  for (const id of ids) {
    const len = buf.write(id, at + 4, 'utf8');
    buf.writeUInt32BE(len, at);
    at += 4 + len;
  }
  return hash('sha256', buf, 'buffer');
}

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([NODE, left, right]), 'buffer');
}

/** The signed root: the top node bound to the id count, so the count cannot be changed alone. */
function rootHash(top: Uint8Array, count: number): Buffer {
  const n = Buffer.allocUnsafe(8);
  n.writeBigUInt64BE(BigInt(count));
  return hash('sha256', Buffer.concat([ROOT, n, top]), 'buffer');
}

/**
 * Builds the audience tree over minion ids (the master's selection, in its order). An odd node
 * at the end of a level is carried up unchanged. Throws on an empty list: a job with no audience
 * is never signed.
 */
export function buildAudience(ids: readonly string[]): AudienceTree {
  if (ids.length === 0) throw new Error('an audience holds at least one minion');
  const pages: string[][] = [];
  const pageIndex = new Map<string, number>();
  for (let i = 0; i < ids.length; i += AUDIENCE_PAGE_SIZE) {
    const page = ids.slice(i, i + AUDIENCE_PAGE_SIZE);
    for (const id of page) pageIndex.set(id, pages.length);
    pages.push(page);
  }
  const levels: Buffer[][] = [pages.map(pageHash)];
  for (let level = levels[0]!; level.length > 1;) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    levels.push(next);
    level = next;
  }
  const commitment = { root: rootHash(levels.at(-1)![0]!, ids.length), count: ids.length };
  return {
    commitment,
    pageOf: (id) => pageIndex.get(id),
    proof: (page) => {
      const path: Buffer[] = [];
      let index = page;
      for (const level of levels.slice(0, -1)) {
        const sibling = index ^ 1;
        if (sibling < level.length) path.push(level[sibling]!);
        index >>= 1;
      }
      return { page, ids: pages[page]!, path: Buffer.concat(path) };
    },
  };
}

/**
 * Nodes of one commitment's tree already proven to chain to its root, by `level/index`: a swarm's
 * minions share one, so a page's path is hashed only up to the first node another page proved
 * (a page proven already needs no path at all). Use one per commitment (per signed spec), never
 * across jobs.
 */
export type ProvenNodes = Map<string, Buffer>;

/**
 * Whether a proof's page chains to a commitment's root. The page count and the page's size follow
 * from `count`, so the shape is fixed: a proof with a wrong-sized page or path does not verify.
 * Says nothing about which id asks: check that the minion's own id is in `proof.ids` as well.
 */
export function verifyAudienceProof(
  commitment: AudienceCommitment,
  proof: AudienceProof,
  proven?: ProvenNodes,
): boolean {
  const { count } = commitment;
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(proof.page)) return false;
  const pageCount = Math.ceil(count / AUDIENCE_PAGE_SIZE);
  if (proof.page < 0 || proof.page >= pageCount) return false;
  if (proof.ids.length !== Math.min(AUDIENCE_PAGE_SIZE, count - proof.page * AUDIENCE_PAGE_SIZE)) return false;
  let siblings = 0;
  for (let width = pageCount, index = proof.page; width > 1; width = Math.ceil(width / 2), index >>= 1)
    if ((index ^ 1) < width) siblings++;
  if (proof.path.byteLength !== 32 * siblings) return false;
  const seen: [string, Buffer][] = [];
  let node = pageHash(proof.ids);
  let index = proof.page;
  let offset = 0;
  for (let width = pageCount, level = 0; ; width = Math.ceil(width / 2), level++, index >>= 1) {
    const key = `${level}/${index}`;
    const known = proven?.get(key);
    // A node another proof carried to the root: the rest of this path is proven with it.
    if (known) return remember(proven, seen, Buffer.compare(known, node) === 0);
    seen.push([key, node]);
    if (width <= 1) break;
    if ((index ^ 1) < width) {
      const s = proof.path.subarray(offset, offset + 32);
      offset += 32;
      node = index & 1 ? nodeHash(s, node) : nodeHash(node, s);
    }
  }
  return remember(proven, seen, Buffer.compare(rootHash(node, count), commitment.root) === 0);
}

function remember(proven: ProvenNodes | undefined, seen: [string, Buffer][], ok: boolean): boolean {
  if (ok && proven) for (const [key, node] of seen) proven.set(key, node);
  return ok;
}

/** Whether `id` is in the audience: its page carries it and chains to the signed root. */
export function inAudience(commitment: AudienceCommitment, proof: AudienceProof, id: string): boolean {
  return proof.ids.includes(id) && verifyAudienceProof(commitment, proof);
}
