export { BIN, Cluster, REPO_ROOT, startCluster, waitFor, type ClusterOptions, type CliRun } from './cluster.js';
