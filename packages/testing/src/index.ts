export {
  BIN,
  Cluster,
  REPO_ROOT,
  startCluster,
  waitFor,
  waitForProgress,
  type ClusterOptions,
  type ProgressWait,
  type CliRun,
} from './cluster.js';
export { FaultProxy, startFaultProxy, type FaultMode } from './fault-proxy.js';
export { findPostgresBin, postgresMissing, startPostgres, type PgCluster } from './postgres.js';
