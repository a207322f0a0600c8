import { join } from 'node:path';
import type { Logger } from 'pino';
import type { TargetOptions } from '@brine/protocol';
import type { MasterConfig } from '../config.js';
import type { MinionRegistry } from '../core/registry.js';
import { MineService } from '../mine/mine-service.js';
import { MineStore } from '../mine/mine-store.js';
import { loadOrCreateAgeKeys, type AgeKeys } from './age-secrets.js';
import { PillarCompiler } from './compile-pillar.js';
import { fileTreePillar } from './external-pillar.js';
import { PillarFiles, stampsChanged } from './pillar-files.js';
import { PillarService } from './pillar-service.js';

/** The master's pillar and mine, built from its config. */
export interface MasterPillar {
  service: PillarService;
  mine: MineService;
  /** Writes the mine's pending changes (at shutdown). */
  flush(): void;
  /** The master's age recipient (`age1...`), for `brine-master encrypt`. */
  recipient: string | undefined;
  /**
   * Whether any pillar source is configured. Without one every pillar is `{}`, so nothing is
   * pushed at connect (a reconnect storm of 10,000 minions sends no extra frame); a minion that
   * asks still gets `{}`.
   */
  configured: boolean;
}

/** Where the master's age identity lives: `pillar_age_key`, or `<state_dir>/pillar/age.key`. */
export function ageKeyPath(config: Pick<MasterConfig, 'pillar_age_key' | 'state_dir'>): string {
  return config.pillar_age_key ?? join(config.state_dir, 'pillar', 'age.key');
}

/**
 * Builds pillar compilation, its cache and the mine from the config: the age identity is loaded
 * (or made, at the default path only: a configured path that does not exist means "no key", so
 * encrypted values fail saying so), ext_pillar sources are made, mine rules compiled.
 */
export async function createMasterPillar(
  config: MasterConfig,
  deps: { registry: MinionRegistry; targetOptions: TargetOptions; log: Logger },
): Promise<MasterPillar> {
  const keys: AgeKeys | undefined = await loadOrCreateAgeKeys(ageKeyPath(config), config.pillar_age_key === undefined);
  if (keys === undefined)
    deps.log.warn({ file: ageKeyPath(config) }, 'no age identity: encrypted pillar values will not compile');
  const mineStore = new MineStore(join(config.state_dir, 'mine.json'));
  const mine = new MineService({
    store: mineStore,
    registry: deps.registry,
    targetOptions: deps.targetOptions,
    access: config.mine_access,
  });
  const compiler = new PillarCompiler({
    files: new PillarFiles(config.pillar_roots),
    external: config.ext_pillar.map((e) => fileTreePillar(e.file_tree.root_dir)),
    keys,
    strategy: config.pillar_source_merging_strategy,
    mergeLists: config.pillar_merge_lists,
    targetOptions: deps.targetOptions,
    mineGet: (reader, q) => {
      const answer = mine.handle(reader, { v: 1, type: 'mine.request', reqId: 0, op: 'get', ...q });
      if (!answer.ok) throw new Error(answer.error.message);
      return answer.data;
    },
  });
  const service = new PillarService({ compiler, registry: deps.registry, stampsChanged });
  const configured = Object.keys(config.pillar_roots).length > 0 || config.ext_pillar.length > 0;
  return { service, mine, flush: () => mineStore.flush(), recipient: keys?.recipient, configured };
}
