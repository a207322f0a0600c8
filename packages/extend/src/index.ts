/**
 * The authoring API of Brine: custom execution modules, state modules, grains, beacons and
 * runners are written against these types, and so are the built-in ones. At run time it holds
 * only the identity `define*` helpers.
 */
export {
  defineFunction,
  defineModule,
  fn,
  moduleFunctions,
  type Grains,
  type GrainsAccess,
  type JobsAccess,
  type MasterFiles,
  type MineAccess,
  type MinionScheduleView,
  type ModuleContext,
  type ModuleDefinition,
  type ModuleFunction,
  type ModuleFunctionSpec,
  type ModuleResult,
  type PillarAccess,
  type RunningJob,
  type ScheduleControl,
  type VirtualContext,
  type VirtualVerdict,
} from './module.js';
export {
  defineState,
  defineStateModule,
  stateFn,
  stateModuleFunctions,
  type StateContext,
  type StateFunction,
  type StateModuleDefinition,
  type StateResult,
} from './state.js';
export { defineGrains, type GrainsContext, type GrainsDefinition } from './grains.js';
export { defineBeacon, type BeaconContext, type BeaconDefinition, type BeaconEvent } from './beacon.js';
export {
  defineRunner,
  runnerFn,
  type RunnerClient,
  type RunnerContext,
  type RunnerDefinition,
  type RunnerFunctionSpec,
  type RunnerJobRequest,
  type RunnerMinionResult,
} from './runner.js';
