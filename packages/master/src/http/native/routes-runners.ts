import { jobRequestSchema, type MinionResult } from '@brine/protocol';
import type { RunnerContext, RunnerMinionResult } from '@brine/extend';
import { filter, lastValueFrom, map, toArray } from 'rxjs';
import { z } from 'zod';
import { Permission, type Principal } from '../auth/auth.js';
import { BadRequestError, ForbiddenError, NotFoundError } from '../shared/errors.js';
import { startJob, type JobAccessServices } from '../auth/job-access.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { MasterServices } from '../shared/services.js';
import type { FastifyRequest } from 'fastify';

/** What the runner routes read. */
export type RunnerServices = JobAccessServices & Pick<MasterServices, 'log' | 'runners'>;

const body = z.object({
  args: z.array(z.unknown()).default([]),
  kwargs: z.record(z.string(), z.unknown()).default({}),
});
const params = z.object({ fun: z.string().regex(/^[A-Za-z_]\w*\.[A-Za-z_]\w*$/, 'module.function') });

/**
 * `POST /api/v1/runners/:fun`: runs a custom runner from the master's `_runners/` (issue #21)
 * as the calling user. Allowed to the admin and to `@runner` (or a `@runner` glob naming the
 * function); the jobs the runner starts are checked against the same user's ACL.
 */
export function runnerRoutes(s: RunnerServices): RouteSpec[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/runners/:fun',
      permission: Permission.token,
      tag: 'jobs',
      summary: 'Run a custom runner function from _runners/ (needs @runner): {ret}',
      body,
      params,
      handler: async ({ principal, body: b, params: { fun }, req }) => {
        if (!principal.grants.admin && !principal.grants.special('runner', fun))
          throw new ForbiddenError(`this token may not run the runner ${fun} (needs @runner)`);
        const spec = await s.runners?.find(fun);
        if (!spec) throw new NotFoundError(`no runner function ${fun}`);
        const fields: Record<string, unknown> = {};
        spec.params.forEach((name, i) => {
          if (i < b.args.length) fields[name] = b.args[i];
        });
        const parsed = spec.schema.safeParse({ ...fields, ...b.kwargs });
        if (!parsed.success)
          throw new BadRequestError(
            `${fun}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`,
          );
        const ctx: RunnerContext = {
          log: s.log.child({ runner: fun, user: principal.user }),
          user: principal.user,
          client: { run: (request) => runJob(s, principal, request, req) },
        };
        return { ret: await spec.run(parsed.data, ctx) };
      },
    }),
  ];
}

/** Starts a job as the runner's caller, under that caller's ACL, and waits for every minion's result. */
export async function runJob(
  s: RunnerServices,
  p: Principal,
  request: Parameters<RunnerContext['client']['run']>[0],
  req: FastifyRequest,
): Promise<RunnerMinionResult[]> {
  const parsed = jobRequestSchema.safeParse(request);
  if (!parsed.success) throw new BadRequestError(`runner job: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const job = startJob(s, p, parsed.data, req);
  const results = await lastValueFrom(
    job.events$.pipe(
      filter((e) => e.type === 'result'),
      map((e) => (e as { result: MinionResult }).result),
      toArray(),
    ),
  );
  return results.map((r) => ({
    id: r.id,
    outcome: r.outcome,
    ...(r.outcome === 'returned' ? { ret: r.ret, success: r.success } : {}),
  }));
}
