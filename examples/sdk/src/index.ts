export { fastestAnswer } from './fastest-answer.js';
export { filterThenRun$ } from './filter-then-run.js';
export { mergedJobs$ } from './merged-jobs.js';
export { rollingDeploy } from './rolling-deploy.js';
export type { RollingDeployPlan, RollingDeployReport } from './rolling-deploy.js';
export { SequenceTimeoutError, timedSequence$ } from './timed-sequence.js';
