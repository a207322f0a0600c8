import { describe, expect, it } from 'vitest';
import { AUDIENCE_PAGE_SIZE, buildAudience, inAudience, verifyAudienceProof } from './audience.js';

const ids = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('buildAudience and inAudience', () => {
  it('proves every member of audiences from 1 to 70 minions, and of 10,000', () => {
    for (const n of [...Array.from({ length: 70 }, (_, i) => i + 1), 10_000]) {
      const all = ids(n);
      const tree = buildAudience(all);
      for (const id of all) expect(inAudience(tree.commitment, tree.proof(tree.pageOf(id)!), id)).toBe(true);
    }
  });

  it('refuses an id outside the audience with any page’s proof', () => {
    const tree = buildAudience(ids(40));
    expect(tree.pageOf('intruder')).toBeUndefined();
    for (let page = 0; page < 3; page++) expect(inAudience(tree.commitment, tree.proof(page), 'intruder')).toBe(false);
  });

  it('refuses a page with an id added, removed or swapped', () => {
    const tree = buildAudience(ids(40));
    const proof = tree.proof(1);
    const added = { ...proof, ids: [...proof.ids.slice(1), 'intruder'] };
    expect(inAudience(tree.commitment, added, 'intruder')).toBe(false);
    expect(verifyAudienceProof(tree.commitment, { ...proof, ids: proof.ids.slice(1) })).toBe(false);
    expect(verifyAudienceProof(tree.commitment, { ...proof, page: 0 })).toBe(false);
  });

  it('refuses a proof against another commitment, count or flipped bit', () => {
    const tree = buildAudience(ids(100));
    const proof = tree.proof(2);
    expect(verifyAudienceProof(tree.commitment, proof)).toBe(true);
    expect(verifyAudienceProof(buildAudience(ids(100, 'n')).commitment, proof)).toBe(false);
    expect(verifyAudienceProof({ ...tree.commitment, count: 101 }, proof)).toBe(false);
    expect(verifyAudienceProof({ ...tree.commitment, count: 0 }, proof)).toBe(false);
    for (let byte = 0; byte < proof.path.byteLength; byte += 7) {
      const path = Buffer.from(proof.path);
      path[byte]! ^= 1;
      expect(verifyAudienceProof(tree.commitment, { ...proof, path })).toBe(false);
    }
    const root = Buffer.from(tree.commitment.root);
    root[0]! ^= 1;
    expect(verifyAudienceProof({ ...tree.commitment, root }, proof)).toBe(false);
  });

  it('refuses a path one hash too long or too short', () => {
    const tree = buildAudience(ids(100));
    const proof = tree.proof(0);
    const longer = Buffer.concat([proof.path, Buffer.alloc(32)]);
    expect(verifyAudienceProof(tree.commitment, { ...proof, path: longer })).toBe(false);
    expect(verifyAudienceProof(tree.commitment, { ...proof, path: proof.path.subarray(32) })).toBe(false);
    expect(verifyAudienceProof(tree.commitment, { ...proof, path: proof.path.subarray(1) })).toBe(false);
  });

  it('gives every minion of a page the same proof, of 16 ids and log2(pages) hashes', () => {
    const tree = buildAudience(ids(10_000));
    expect(tree.pageOf('m0')).toBe(tree.pageOf('m15'));
    expect(tree.pageOf('m16')).toBe(1);
    const proof = tree.proof(0);
    expect(proof.ids).toHaveLength(AUDIENCE_PAGE_SIZE);
    expect(proof.path.byteLength).toBe(32 * Math.ceil(Math.log2(10_000 / AUDIENCE_PAGE_SIZE)));
  });

  it('refuses to build an empty audience', () => {
    expect(() => buildAudience([])).toThrow();
  });
});

describe('verifyAudienceProof with proven nodes', () => {
  it('verifies every page of 10,000 ids with about one hash per tree node, and still refuses an outsider', () => {
    const tree = buildAudience(ids(10_000));
    const proven = new Map<string, Buffer>();
    for (let page = 0; page < 625; page++)
      expect(verifyAudienceProof(tree.commitment, tree.proof(page), proven)).toBe(true);
    // One entry per node of each level: 625 + 313 + 157 + 79 + 40 + 20 + 10 + 5 + 3 + 2 + 1.
    expect(proven.size).toBe(1255);
    const proof = tree.proof(7);
    const path = Buffer.from(proof.path);
    path[0]! ^= 1;
    // A proven page needs no path (any path of the right length is ignored); a fresh one does.
    expect(verifyAudienceProof(tree.commitment, { ...proof, path }, proven)).toBe(true);
    expect(verifyAudienceProof(tree.commitment, { ...proof, path }, new Map())).toBe(false);
    expect(verifyAudienceProof(tree.commitment, { ...proof, ids: [...proof.ids.slice(1), 'intruder'] }, proven)).toBe(
      false,
    );
    expect(verifyAudienceProof(tree.commitment, { ...proof, path: proof.path.subarray(32) }, proven)).toBe(false);
  });

  it('remembers nothing from a proof that fails', () => {
    const tree = buildAudience(ids(100));
    const other = buildAudience(ids(100, 'n'));
    const proven = new Map<string, Buffer>();
    expect(verifyAudienceProof(tree.commitment, other.proof(0), proven)).toBe(false);
    expect(proven.size).toBe(0);
    expect(verifyAudienceProof(tree.commitment, tree.proof(0), proven)).toBe(true);
  });
});
