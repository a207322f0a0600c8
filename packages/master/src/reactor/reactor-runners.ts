import type { Logger } from 'pino';
import { filter, lastValueFrom, map, toArray } from 'rxjs';
import { ApiErrorCode, jobRequestSchema, type MinionResult } from '@brine/protocol';
import type { RunnerMinionResult } from '@brine/extend';
import type { RunnerLookup } from '../runners/runner-host.js';
import { startJobAs, type AuditSource, type Identity, type StartAsDeps } from './start-as.js';

/** What {@link customRunnerCall} needs: the master's `_runners/`, and who the calls run as. */
export interface CustomRunnerDeps {
  runners: RunnerLookup;
  identity: Identity;
  /** How the jobs a runner starts are started (and audited): the reactor's own. */
  start: StartAsDeps;
  log: Logger;
}

/**
 * A custom runner from the master's `_runners/` (issue #21) as an orchestration step of the
 * reactor calls it (`salt.runner`, issue #19): under the rule of `POST /api/v1/runners/:fun`
 * (`@runner`, or a `@runner` glob naming it) for the reactor's identity, its arguments checked by
 * the runner's own schema, and each job it starts through `client.run` checked against the same
 * identity's ACL and audited with `from`. Resolves `undefined` when no runner has that name, so
 * the caller can say so; rejects with a message that starts with the refusal's code.
 */
export async function customRunnerCall(
  d: CustomRunnerDeps,
  call: { fun: string; kwargs: Record<string, unknown> },
  from: AuditSource,
): Promise<{ ret: unknown } | undefined> {
  const spec = await d.runners.find(call.fun);
  if (!spec) return undefined;
  if (!d.identity.grants.admin && !d.identity.grants.special('runner', call.fun))
    throw new Error(`${ApiErrorCode.forbidden}: ${d.identity.user} may not run runner ${call.fun} (needs @runner)`);
  const parsed = spec.schema.safeParse(call.kwargs);
  if (!parsed.success)
    throw new Error(
      `${ApiErrorCode.badRequest}: ${call.fun}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`,
    );
  const ret = await spec.run(parsed.data, {
    log: d.log.child({ runner: call.fun, user: d.identity.user }),
    user: d.identity.user,
    client: { run: (request) => runAs(d, request, from) },
  });
  return { ret };
}

/** Starts a runner's job as the identity and waits for every minion's result; rejects when refused. */
async function runAs(d: CustomRunnerDeps, request: unknown, from: AuditSource): Promise<RunnerMinionResult[]> {
  const parsed = jobRequestSchema.safeParse(request);
  if (!parsed.success)
    throw new Error(`${ApiErrorCode.badRequest}: runner job: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const started = startJobAs(d.start, d.identity, parsed.data, from);
  if (!started.ok) throw new Error(`${started.code}: ${started.message}`);
  const results = await lastValueFrom(
    started.job.events$.pipe(
      filter((e): e is Extract<typeof e, { type: 'result' }> => e.type === 'result'),
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
