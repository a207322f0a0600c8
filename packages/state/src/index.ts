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
