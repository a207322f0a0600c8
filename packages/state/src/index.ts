export { StateError, StateErrorCode, type StateErrorCodeValue, type StateProblem } from './errors.js';
export { dumpSaltYaml, loadSaltYaml, type DumpYamlOptions, type LoadedYaml } from './yaml/salt-yaml.js';
export {
  createRenderSession,
  splitShebang,
  type DataRenderer,
  type FileReader,
  type FunctionCaller,
  type RenderedData,
  type RenderRequest,
  type RenderSession,
  type RenderSessionOptions,
} from './render/render-session.js';
export { normalizePath, slsCandidates, slsContext } from './render/paths.js';
export { deepCopy, dictUpdate, isMapping, traverse } from './helpers/data.js';
export { filterBy, type FilterByOptions } from './helpers/filter-by.js';
export { compileFnmatch, fnmatch } from './helpers/fnmatch.js';
export {
  bindArgs,
  createTemplateFunctions,
  type TemplateData,
  type TemplateFunction,
} from './helpers/template-functions.js';
export {
  compileHighData,
  compileHighstate,
  compileSls,
  type CompileOptions,
  type CompileResult,
} from './compile/compile.js';
export { compileLowStates, orderLowStates } from './compile/compile-low.js';
export { planStates, type ListenSpec, type PlanDep, type PlanNode, type StatePlan } from './compile/plan.js';
export { renderSlsTree, type RenderedTree, type RenderTreeOptions, type SlsRequest } from './compile/render-tree.js';
export { readSlsData, type SlsMeta, type SlsParts } from './compile/sls-data.js';
export { topMatches, type TopMatcher, type TopOptions, type TopResult } from './compile/top.js';
export {
  ENGINE_KEYS,
  REQUISITES,
  REQUISITES_IN,
  stateKey,
  type ExtendEntry,
  type HighData,
  type HighState,
  type LowState,
  type RequisiteType,
} from './compile/types.js';
export {
  type StateCall,
  type StateCallContext,
  type StateFunctionRegistry,
  type StateResult,
  type StateReturn,
} from './run/registry.js';
export { requisiteStatus, type RequisiteOutcome, type RequisiteStatus } from './run/requisite-status.js';
export { runStates$, type StateRunEvent, type StateRunOptions } from './run/run-states.js';
export { stateArgs } from './run/call-state.js';
