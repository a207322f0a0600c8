import type { FastifyRequest } from 'fastify';
import { ApiErrorCode, createJidGenerator, didNotReturnLine, type MinionResult } from '@brine/protocol';
import { filter, lastValueFrom, map, toArray } from 'rxjs';
import type { Principal } from '../auth/auth.js';
import { HttpError } from '../shared/errors.js';
import type { MasterServices } from '../shared/services.js';
import type { EventServices } from '../auth/event-visibility.js';
import { startJob } from '../auth/job-access.js';
import type { LoginServices } from '../auth/routes-auth.js';
import { bindSaltArgs } from './salt-call-args.js';
import { saltReturnValue, wheelEnvelope } from './salt-format.js';
import type { SaltCommand } from './salt-lowstate.js';
import type { SaltServices } from './salt-function.js';
import { RUNNERS } from './salt-runners.js';
import { WHEELS } from './salt-wheel.js';

/** What the salt-api routes read: the runner and wheel services, logins and the event views. */
export type SaltRouteServices = SaltServices &
  LoginServices &
  EventServices &
  Pick<MasterServices, 'metrics' | 'registry' | 'sessionTtlMs'>;

/** What a minion result looks like in a `local` answer: its return, or Salt's words for none. */
function saltRet(fun: string, r: MinionResult): unknown {
  return r.outcome === 'returned' ? saltReturnValue(fun, r.ret) : didNotReturnLine(r);
}

async function runLocal(
  s: SaltServices,
  p: Principal,
  cmd: Extract<SaltCommand, { request: unknown }>,
  req: FastifyRequest,
): Promise<unknown[]> {
  let job;
  try {
    job = startJob(s, p, cmd.request, req);
  } catch (e) {
    // Salt's LocalClient prints "No minions matched the target" and returns {}: salt-api answers
    // {"return": [{}]} (nothing for the batch generator), and clients rely on that 200.
    if (e instanceof HttpError && e.code === ApiErrorCode.noMinions) return cmd.client === 'local_batch' ? [] : [{}];
    throw e;
  }
  if (cmd.client === 'local_async') return [{ jid: job.jid, minions: job.minions }];
  const fun = cmd.request.fun;
  const results = await lastValueFrom(
    job.events$.pipe(
      filter((e) => e.type === 'result'),
      map((e) => (e as Extract<typeof e, { type: 'result' }>).result),
      toArray(),
    ),
  );
  // local_batch is a generator in Salt: one element per minion, in the order they finished.
  if (cmd.client === 'local_batch') return results.map((r) => ({ [r.id]: saltRet(fun, r) }));
  if (cmd.fullReturn)
    return [
      Object.fromEntries(
        results.map((r) => [
          r.id,
          { ret: saltRet(fun, r), retcode: r.retcode ?? null, success: r.success, outcome: r.outcome, jid: job.jid },
        ]),
      ),
    ];
  // Like Salt's LocalClient.cmd, a minion that did not return is left out of `local`.
  return [
    Object.fromEntries(results.filter((r) => r.outcome === 'returned').map((r) => [r.id, saltReturnValue(fun, r.ret)])),
  ];
}

/** Makes the jids of wheel calls; one generator per API, so they stay unique and ordered. */
export type WheelJids = ReturnType<typeof createJidGenerator>;

/**
 * Runs an authorized salt-api command and returns its elements of the `return` list: one for
 * most clients, one per minion for `local_batch` (Salt's batch client is a generator), none for
 * a batch that matched nothing. Runner and wheel arguments are bound as Salt binds them
 * (salt-call-args.ts); a wheel result comes in Salt's `{tag, data}` envelope.
 */
export async function runCommand(
  s: SaltServices,
  p: Principal,
  cmd: SaltCommand,
  req: FastifyRequest,
  wheelJid: WheelJids,
): Promise<unknown[]> {
  if ('request' in cmd) {
    req.audit.detail = cmd.client;
    return runLocal(s, p, cmd, req);
  }
  req.audit.detail = `${cmd.client}${cmd.async ? '_async' : ''} ${cmd.fun}`;
  const fn = (cmd.client === 'runner' ? RUNNERS : WHEELS)[cmd.fun]!;
  const args = bindSaltArgs(cmd.fun, fn, cmd.args, cmd.kwargs);
  if (cmd.async) return [runAsync(s, { p, cmd, req }, wheelJid(s.now()))];
  const ret = await fn.run({ s, p, req }, args);
  if (cmd.client === 'runner') return [ret];
  return [wheelEnvelope({ fun: cmd.fun, jid: wheelJid(s.now()), user: p.user, ret, now: s.now() })];
}

/**
 * `runner_async` / `wheel_async`: answers `{tag, jid}` at once (Salt's `salt/run/<jid>` or
 * `salt/wheel/<jid>`) and runs the function after; its `new` and `ret` events go on the bus as
 * `brine/run|wheel/<jid>/...`, which the dialect's streams show under Salt's tags. A function
 * that throws gives `success: false` and its message as the return.
 */
function runAsync(
  s: SaltServices,
  call: { p: Principal; cmd: Extract<SaltCommand, { fun: string }>; req: FastifyRequest },
  jid: string,
): { tag: string; jid: string } {
  const { p, cmd, req } = call;
  const area = cmd.client === 'runner' ? 'run' : 'wheel';
  const fn = (cmd.client === 'runner' ? RUNNERS : WHEELS)[cmd.fun]!;
  const event = { fun: `${cmd.client}.${cmd.fun}`, fun_args: cmd.args, jid, user: p.user };
  s.bus.publish(`brine/${area}/${jid}/new`, event);
  void (async () => {
    let ret: unknown;
    let success = true;
    try {
      ret = await fn.run({ s, p, req }, bindSaltArgs(cmd.fun, fn, cmd.args, cmd.kwargs));
    } catch (e) {
      [ret, success] = [e instanceof Error ? e.message : String(e), false];
    }
    s.bus.publish(`brine/${area}/${jid}/ret`, { ...event, return: ret, success });
  })();
  return { tag: `salt/${area}/${jid}`, jid };
}
