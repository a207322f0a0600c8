import { access } from 'node:fs/promises';
import { z } from 'zod';
import { CommandFailedError, ServiceUnavailableError } from '../errors.js';
import { runProcess, type ProcessResult } from '../executor/run-process.js';
import { defineFunction, type ModuleContext, type ModuleFunction } from './types.js';
import { which } from './which.js';

/** Present only while systemd is PID 1 (sd_booted(3)). */
const SYSTEMD_RUNTIME_DIR = '/run/systemd/system';
const OUTPUT_BYTES = 1024 * 1024;

/** A systemd unit name; never starts with `-`, so it cannot be read as an option. */
const unitName = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9@_.:\\][A-Za-z0-9@_.:\\-]*$/, 'must be a systemd unit name');

const ACTIONS = {
  start: 'Starts a service',
  stop: 'Stops a service',
  restart: 'Restarts a service',
  reload: 'Reloads the configuration of a service',
  enable: 'Enables a service at boot',
  disable: 'Disables a service at boot',
} as const;

function action(verb: keyof typeof ACTIONS): ModuleFunction {
  return defineFunction({
    name: `service.${verb}`,
    doc: `${ACTIONS[verb]} with systemctl ${verb}. Returns true; a failure is ERR_MINION_COMMAND_FAILED
with systemctl's message, and a host without a running systemd gives ERR_MINION_SERVICE_UNAVAILABLE.

CLI Example:

    brine '*' service.${verb} nginx`,
    params: ['name'],
    schema: z.object({ name: unitName }),
    run: async ({ name }, ctx) => {
      const r = await systemctl([verb, '--', name], ctx);
      if (r.retcode !== 0) throw new CommandFailedError(`systemctl ${verb}`, r.retcode, r.stderr || r.stdout);
      return { ret: true };
    },
  });
}

const status = defineFunction({
  name: 'service.status',
  doc: `Returns whether a service is active (systemctl is-active). An inactive or unknown service
returns false with systemctl's exit code as the job's retcode (3 inactive, 4 no such unit).

CLI Example:

    brine '*' service.status sshd`,
  params: ['name'],
  schema: z.object({ name: unitName }),
  run: async ({ name }, ctx) => {
    const r = await systemctl(['is-active', '--quiet', '--', name], ctx);
    return { ret: r.retcode === 0, retcode: r.retcode };
  },
});

async function systemctl(args: string[], ctx: ModuleContext): Promise<ProcessResult> {
  try {
    await access(SYSTEMD_RUNTIME_DIR);
  } catch {
    throw new ServiceUnavailableError(`${SYSTEMD_RUNTIME_DIR} does not exist`);
  }
  const program = await which('systemctl');
  if (program === undefined) throw new ServiceUnavailableError('systemctl is not on PATH');
  return runProcess({
    argv: [program, ...args],
    env: { SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0', LC_ALL: 'C' },
    maxOutputBytes: OUTPUT_BYTES,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
  });
}

/** The `service.*` functions (systemd): start, stop, restart, reload, status, enable, disable. */
export const serviceFunctions: readonly ModuleFunction[] = [
  action('start'),
  action('stop'),
  action('restart'),
  action('reload'),
  status,
  action('enable'),
  action('disable'),
];
