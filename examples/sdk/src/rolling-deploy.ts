import { lastValueFrom, toArray } from 'rxjs';
import { results, type BrineClient, type JobOptions, type MinionResult } from '@brine/client';

/** What a rolling deploy did, minion by minion. */
export interface RollingDeployReport {
  /** The deploy job: every targeted minion's result (those never started are `cancelled`). */
  deployed: MinionResult[];
  /** Minions that failed the health check after a successful deploy. */
  unhealthy: string[];
  /** The rollback job's results, on exactly the unhealthy minions; empty when all were healthy. */
  rolledBack: MinionResult[];
}

/** The jobs of a rolling deploy; each is a function and its arguments (the target is the example's). */
export interface RollingDeployPlan {
  target: string;
  deploy: Pick<JobOptions, 'fun' | 'args' | 'kwargs'>;
  check: Pick<JobOptions, 'fun' | 'args' | 'kwargs'>;
  rollback: Pick<JobOptions, 'fun' | 'args' | 'kwargs'>;
  /** @default '10%' */
  batch?: number | `${number}%`;
  /** One deadline for the whole deploy, across its batches. */
  deadlineMs: number;
  /** Whether a health-check result counts as healthy. @default the result's `success` */
  healthy?: (r: MinionResult) => boolean;
}

/**
 * Example 4: a rolling deploy. Deploys in batches of 10% that stop at the first failure, under
 * one overall deadline; health-checks the minions the deploy succeeded on; rolls back exactly
 * the ones whose check failed.
 */
export async function rollingDeploy(client: BrineClient, plan: RollingDeployPlan): Promise<RollingDeployReport> {
  const all = (job: JobOptions) => lastValueFrom(client.run$(job).pipe(results(), toArray()));
  const deployed = await all({
    ...plan.deploy,
    target: plan.target,
    batch: plan.batch ?? '10%',
    failhard: true,
    deadlineMs: plan.deadlineMs,
  });
  const done = deployed.filter((r) => r.success).map((r) => r.id);
  if (done.length === 0) return { deployed, unhealthy: [], rolledBack: [] };
  const healthy = plan.healthy ?? ((r: MinionResult) => r.success);
  const checked = await all({ ...plan.check, target: done, targetType: 'list' });
  const unhealthy = checked.filter((r) => !healthy(r)).map((r) => r.id);
  const rolledBack =
    unhealthy.length === 0 ? [] : await all({ ...plan.rollback, target: unhealthy, targetType: 'list' });
  return { deployed, unhealthy, rolledBack };
}
