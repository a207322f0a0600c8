import { mkdirSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { signExtendListing, type ExtendKind, type SignedExtendListing } from '@brine/protocol';
import { COMPILED_PREFIX, ExtendCompiler } from './extend-compiler.js';
import { servedFiles, type ServedFiles } from './served-files.js';

/** The master's side of custom extensions (issue #21). */
export interface MasterExtend {
  /** Where compiled extensions are written: `<state_dir>/extend`. */
  outDir: string;
  /** The file roots as minions see them, compiled extensions under `_compiled/`. */
  files: ServedFiles;
  compiler: ExtendCompiler;
  /** The compiled extensions of a kind, as a listing signed for one minion. */
  listing(minionId: string, kind: ExtendKind): Promise<SignedExtendListing>;
}

/**
 * Sets up extensions: they are compiled from the file roots into a root of their own, served
 * under `_compiled/`, and each minion gets a listing signed with the master's key for it alone.
 */
export function createMasterExtend(o: {
  fileRoots: readonly string[];
  stateDir: string;
  privateKey: KeyObject;
  now(): number;
}): MasterExtend {
  const outDir = join(o.stateDir, 'extend');
  mkdirSync(join(outDir, COMPILED_PREFIX), { recursive: true });
  const compiler = new ExtendCompiler({ roots: o.fileRoots, outDir });
  return {
    outDir,
    files: servedFiles(o.fileRoots, outDir),
    compiler,
    listing: async (minionId, kind) => {
      const compiled = await compiler.compile(kind);
      return signExtendListing(o.privateKey, minionId, { kind, issuedAt: o.now(), ...compiled });
    },
  };
}
