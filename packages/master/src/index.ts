export { startMaster, type RunningMaster } from './main.js';
export { loadMasterConfig, masterConfigSchema, type MasterConfig } from './config.js';
export { openSqliteJobStore } from './store/sqlite-job-store.js';
export { fillForBenchmark } from './store/fill-for-benchmark.js';
export type { JobStore, JobRecord, JobLookup, JobFilter, JobListing, ResultWrite } from './core/job-store.js';
