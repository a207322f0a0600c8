export { startMinion, type RunningMinion } from './main.js';
export { loadMinionConfig, minionConfigSchema, type MinionConfig } from './config.js';
export { startSwarm, type Swarm, type SwarmOptions } from './swarm.js';
export { createRegistry, prepareCall } from './modules/registry.js';
export type { ModuleContext, ModuleFunction, ModuleResult } from './modules/types.js';
export { createStateRegistry, unknownStateArgs } from './states/registry.js';
export { defineState, type StateContext, type StateFunction, type StateResult } from './states/types.js';
export { createStateContext, type StateRunOptions } from './states/context.js';
export { ExtendManager, type ExtendManagerDeps, type KindOutcome } from './extend/extend-manager.js';
