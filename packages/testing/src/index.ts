export { BIN, Cluster, REPO_ROOT, startCluster, waitFor, type ClusterOptions, type CliRun } from './cluster.js';
export { FaultProxy, startFaultProxy, type FaultMode } from './fault-proxy.js';
