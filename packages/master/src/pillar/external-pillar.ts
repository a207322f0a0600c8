import { readdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { loadSaltYaml } from '@brine/state';
import { PillarError, PillarErrorCode } from './errors.js';
import { readStamped, stampPath, type FileStamps } from './pillar-files.js';

/** The minion an external source compiles for: its authenticated id and its grains. */
export interface PillarMinion {
  id: string;
  grains: Readonly<Record<string, unknown>>;
}

/** What an external source gives for one minion: data, and the files it read for cache checks. */
export interface ExternalPillarData {
  /** Merged over the pillar so far, with the configured strategy. */
  data: Record<string, unknown>;
  /** Name of the source's data for errors and secrets (`ext_pillar file_tree <file>`). */
  origin: string;
}

/**
 * An external pillar source (Salt's `ext_pillar`), merged after pillar_roots in config order.
 * What an implementation owes:
 * - `compile` returns only data for `minion.id`, whatever `pillar` (the pillar so far) says;
 *   the id is the authenticated one, grains are what the minion reports and may lie.
 * - it records in `stamps` whatever it read that, changed, should recompile the pillar (files
 *   by path); a source that cannot say what changed (a database) sets `cacheable: false`, and
 *   pillars using it are compiled at every request;
 * - it throws a {@link PillarError} with a message that names where, never the data.
 */
export interface ExternalPillar {
  /** The `ext_pillar` entry's name, e.g. `file_tree`. */
  readonly name: string;
  /** False when the source cannot say what changed: pillars using it are never served from cache. */
  readonly cacheable: boolean;
  compile(
    minion: PillarMinion,
    pillar: Readonly<Record<string, unknown>>,
    stamps: FileStamps,
  ): Promise<ExternalPillarData[]>;
}

/**
 * `ext_pillar: [{file_tree: {root_dir}}]`: per-minion YAML or JSON files, `<root_dir>/<id>.yaml`
 * (`.yml`, `.json`) and every such file in `<root_dir>/<id>/`, in name order. Unlike Salt's
 * `file_tree` (one file per key, its text the value), each file holds data.
 */
export function fileTreePillar(rootDir: string): ExternalPillar {
  const root = resolve(rootDir);
  const within = (path: string): string => {
    const full = resolve(root, path);
    if (!full.startsWith(root + sep))
      throw new PillarError(PillarErrorCode.EXTERNAL, `file_tree: ${path} leaves root_dir`);
    return full;
  };
  return {
    name: 'file_tree',
    cacheable: true,
    compile: async (minion, _pillar, stamps) => {
      const files = ['.yaml', '.yml', '.json'].map((ext) => within(`${minion.id}${ext}`));
      const dir = within(minion.id);
      // A file added to or removed from the directory changes its mtime: stamp it too.
      await stampPath(dir, stamps);
      let entries: string[] = [];
      try {
        entries = (await readdir(dir)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
      } catch {
        // no directory for this minion
      }
      files.push(...entries.map((n) => join(dir, n)));
      const out: ExternalPillarData[] = [];
      for (const file of files) {
        const text = await readStamped(file, stamps);
        if (text === undefined) continue;
        const origin = `ext_pillar file_tree ${file.slice(root.length + 1)}`;
        let data: unknown;
        try {
          data = file.endsWith('.json') ? JSON.parse(text) : loadSaltYaml(text, origin).data;
        } catch (err) {
          throw new PillarError(PillarErrorCode.EXTERNAL, `${origin}: ${(err as Error).message}`);
        }
        if (data === null || data === undefined) continue;
        if (typeof data !== 'object' || Array.isArray(data))
          throw new PillarError(PillarErrorCode.EXTERNAL, `${origin}: not a mapping`);
        out.push({ data: data as Record<string, unknown>, origin });
      }
      return out;
    },
  };
}
