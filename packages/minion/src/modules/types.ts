// The module API lives in the public authoring package so that built-in and custom modules are
// written against the very same types (issue #21); this file keeps the minion's import paths.
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
  type ModuleResult,
  type PillarAccess,
  type RunningJob,
  type ScheduleControl,
  type VirtualVerdict,
} from '@brine/extend';
