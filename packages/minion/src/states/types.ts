// The state API lives in the public authoring package (issue #21); this file keeps the import paths.
export {
  defineState,
  defineStateModule,
  stateModuleFunctions,
  type StateContext,
  type StateFunction,
  type StateModuleDefinition,
  type StateResult,
} from '@brine/extend';
