export { startMaster, type RunningMaster } from './main.js';
export { loadMasterConfig, masterConfigSchema, type MasterConfig } from './config.js';
export { openSqliteJobStore } from './store/sqlite-job-store.js';
export { fillForBenchmark } from './store/fill-for-benchmark.js';
export type { JobStore, JobRecord, JobLookup, JobFilter, JobListing, ResultWrite } from './core/job-store.js';
export { MinionRegistry } from './core/registry.js';
export { PillarCompiler, type PillarCompilerOptions, type PillarResult } from './pillar/compile-pillar.js';
export { PillarFiles } from './pillar/pillar-files.js';
export { encryptPillarValue } from './pillar/age-secrets.js';
