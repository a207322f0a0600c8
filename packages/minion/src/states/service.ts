import { z } from 'zod';
import { guarded, stateResult } from './result.js';
import { detectServiceManager, type ServiceManager } from './service-manager.js';
import { defineState, type StateContext, type StateFunction, type StateResult } from './types.js';

const serviceName = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9@_.:\\][A-Za-z0-9@_.:\\-]*$/, 'must be a service name');

const args = z.object({
  name: serviceName,
  /** true/false also sets whether it starts at boot; undefined leaves that alone. */
  enable: z.boolean().optional(),
  /** mod_watch reloads instead of restarting. */
  reload: z.boolean().default(false),
});

type ServiceArgs = z.output<typeof args>;
type Manager = () => Promise<ServiceManager>;

/** Adds the boot half (`enable`) to a running/dead result, in Salt's words. */
async function withEnable(
  res: StateResult,
  a: ServiceArgs,
  m: ServiceManager,
  ctx: StateContext,
  tail: string,
): Promise<StateResult> {
  if (a.enable === undefined || res.result === false) return res;
  const on = await m.enabled(a.name, ctx);
  const word = a.enable ? 'enabled' : 'disabled';
  if (on === a.enable)
    return { ...res, comment: `${res.comment}\nService ${a.name} is already ${word}, and is ${tail}` };
  if (ctx.test)
    return {
      ...res,
      result: null,
      comment: `${res.comment}\nService ${a.name} set to be ${word}`,
      changes: { ...res.changes, [a.name]: true },
    };
  await m.setEnabled(a.name, a.enable, ctx);
  return {
    ...res,
    comment: `${res.comment}\nService ${a.name} has been ${word}, and is ${tail}`,
    changes: { ...res.changes, [a.name]: true },
  };
}

/**
 * The result for a service the host does not have. Under test mode a package installed earlier in
 * the same run may bring it, so Salt's prediction stands in for the failure.
 */
function unavailable(name: string, ctx: StateContext, would: string): StateResult {
  if (ctx.test) {
    return stateResult(name, {
      result: null,
      comment: `Service ${name} not present; if created in this state run, it would have been ${would}`,
    });
  }
  return stateResult(name, { result: false, comment: `The named service ${name} is not available` });
}

/** Builds the `service.*` states over a service manager (by default the host's, detected per call). */
export function createServiceStates(manager: Manager = detectServiceManager): readonly StateFunction[] {
  const running = defineState({
    name: 'service.running',
    doc: `Makes sure a service is running (started if not); \`enable: true|false\` also sets whether it
starts at boot. On a watch requisite's changes (mod_watch) a running service is restarted, or
reloaded with \`reload: true\`; a stopped one is started. Works with systemd when it is PID 1,
else with /etc/init.d scripts and update-rc.d. Changes: {<name>: true}.

SLS Example:

    nginx:
      service.running:
        - enable: true
        - reload: true
        - watch:
          - file: /etc/nginx/nginx.conf`,
    args,
    run: (a, ctx) =>
      guarded(a.name, async () => {
        const m = await manager();
        if (!(await m.available(a.name, ctx))) return unavailable(a.name, ctx, 'started');
        let res: StateResult;
        if (await m.running(a.name, ctx))
          res = stateResult(a.name, { comment: `The service ${a.name} is already running` });
        else if (ctx.test)
          res = stateResult(a.name, {
            result: null,
            comment: `Service ${a.name} is set to start`,
            changes: { [a.name]: true },
          });
        else {
          await m.act('start', a.name, ctx);
          res = (await m.running(a.name, ctx))
            ? stateResult(a.name, { comment: `Started service ${a.name}`, changes: { [a.name]: true } })
            : stateResult(a.name, { result: false, comment: `Service ${a.name} failed to start` });
        }
        return withEnable(res, a, m, ctx, 'running');
      }),
    modWatch: (a, ctx) =>
      guarded(a.name, async () => {
        const m = await manager();
        if (!(await m.available(a.name, ctx))) return unavailable(a.name, ctx, 'restarted');
        const wasRunning = await m.running(a.name, ctx);
        const verb = !wasRunning ? 'start' : a.reload ? 'reload' : 'restart';
        const past = { start: 'started', reload: 'reloaded', restart: 'restarted' }[verb];
        if (ctx.test)
          return stateResult(a.name, {
            result: null,
            comment: `Service is set to be ${past}`,
            changes: { [a.name]: true },
          });
        await m.act(verb, a.name, ctx);
        return stateResult(a.name, { comment: `Service ${past}`, changes: { [a.name]: true } });
      }),
  });

  const dead = defineState({
    name: 'service.dead',
    doc: `Makes sure a service is stopped; \`enable: false\` also keeps it from starting at boot.
Changes: {<name>: true}.

SLS Example:

    telnetd:
      service.dead:
        - enable: false`,
    args,
    run: (a, ctx) =>
      guarded(a.name, async () => {
        const m = await manager();
        if (!(await m.available(a.name, ctx))) {
          return stateResult(a.name, { comment: `The named service ${a.name} is not available` });
        }
        let res: StateResult;
        if (!(await m.running(a.name, ctx)))
          res = stateResult(a.name, { comment: `The service ${a.name} is already dead` });
        else if (ctx.test)
          res = stateResult(a.name, {
            result: null,
            comment: `Service ${a.name} is set to be killed`,
            changes: { [a.name]: true },
          });
        else {
          await m.act('stop', a.name, ctx);
          res = (await m.running(a.name, ctx))
            ? stateResult(a.name, { result: false, comment: `Service ${a.name} failed to die` })
            : stateResult(a.name, { comment: `Service ${a.name} was killed`, changes: { [a.name]: true } });
        }
        return withEnable(res, a, m, ctx, 'dead');
      }),
    modWatch: (a, ctx) =>
      guarded(a.name, async () => {
        const m = await manager();
        if (!(await m.running(a.name, ctx)))
          return stateResult(a.name, { comment: `The service ${a.name} is already dead` });
        if (ctx.test)
          return stateResult(a.name, {
            result: null,
            comment: 'Service is set to be stopped',
            changes: { [a.name]: true },
          });
        await m.act('stop', a.name, ctx);
        return stateResult(a.name, { comment: 'Service stopped', changes: { [a.name]: true } });
      }),
  });

  const boot = (on: boolean): StateFunction =>
    defineState({
      name: `service.${on ? 'enabled' : 'disabled'}`,
      doc: `Makes sure a service ${on ? 'starts' : 'does not start'} at boot, without starting or stopping it now.
Changes: {<name>: true}.

SLS Example:

    cron:
      service.${on ? 'enabled' : 'disabled'}`,
      args: z.object({ name: serviceName }),
      run: (a, ctx) =>
        guarded(a.name, async () => {
          const m = await manager();
          if (!(await m.available(a.name, ctx))) return unavailable(a.name, ctx, on ? 'enabled' : 'disabled');
          const word = on ? 'enabled' : 'disabled';
          if ((await m.enabled(a.name, ctx)) === on) {
            return stateResult(a.name, {
              comment: `Service ${a.name} is already ${word}, and is in the desired state`,
            });
          }
          if (ctx.test)
            return stateResult(a.name, {
              result: null,
              comment: `Service ${a.name} set to be ${word}`,
              changes: { [a.name]: true },
            });
          await m.setEnabled(a.name, on, ctx);
          return stateResult(a.name, {
            comment: `Service ${a.name} has been ${word}, and is in the desired state`,
            changes: { [a.name]: true },
          });
        }),
    });

  return [running, dead, boot(true), boot(false)];
}
