import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Grains, GrainsAccess } from '../modules/types.js';
import { collectGrains } from './collect.js';

/**
 * Grains for a running minion: collected at start, custom values from the config, and values
 * set with `grains.setval` persisted to `file`. `onChange` tells the master.
 */
export async function createGrainsAccess(options: {
  id: string;
  configured: Record<string, unknown>;
  file?: string;
  onChange(grains: Grains): void;
  /**
   * Custom grains from synced `_grains/` providers (issue #21), given the core grains: merged
   * over them, under configured and `grains.setval` grains.
   */
  custom?(core: Grains): Promise<Grains>;
}): Promise<GrainsAccess> {
  const stored = (): Record<string, unknown> => {
    if (!options.file || !existsSync(options.file)) return {};
    try {
      return JSON.parse(readFileSync(options.file, 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const collect = async () => {
    const own = { ...options.configured, ...stored() };
    const core = await collectGrains({ id: options.id, custom: own });
    if (!options.custom) return core;
    // A custom grain may not rename the minion: `id` is what the master knows it by.
    const extra = Object.entries(await options.custom(core)).filter(([k]) => k !== 'id');
    return { ...core, ...Object.fromEntries(extra), ...own };
  };
  let grains = await collect();
  return {
    all: () => grains,
    async setValue(key, value) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype')
        throw new Error(`grain name ${key} is not allowed`);
      const saved = { ...stored(), [key]: value };
      if (options.file) {
        writeFileSync(options.file + '.tmp', JSON.stringify(saved, null, 2), { mode: 0o600 });
        renameSync(options.file + '.tmp', options.file);
      }
      grains = { ...grains, [key]: value };
      options.onChange(grains);
    },
    async refresh() {
      grains = await collect();
      options.onChange(grains);
      return grains;
    },
  };
}
