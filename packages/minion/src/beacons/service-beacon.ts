import { access } from 'node:fs/promises';
import { runProcess } from '../executor/run-process.js';
import { which } from '../modules/which.js';
import type { Beacon, BeaconEvent } from './beacon.js';

/** Whether a service runs now; rejects when that cannot be told (no systemd). */
export type ServiceProbe = (service: string) => Promise<boolean>;

/** `systemctl is-active`; rejects on a host without a running systemd. */
export const systemdProbe: ServiceProbe = async (service) => {
  await access('/run/systemd/system');
  const program = await which('systemctl');
  if (program === undefined) throw new Error('systemctl is not on PATH');
  const r = await runProcess({
    argv: [program, 'is-active', '--quiet', '--', service],
    env: { SYSTEMD_PAGER: '', LC_ALL: 'C' },
    maxOutputBytes: 4096,
    timeoutMs: 10_000,
  });
  return r.retcode === 0;
};

/**
 * `service`: an event when a service starts or stops (Salt's `onchangeonly`), and with
 * `emitAtStartup` its state at the first poll. The first poll otherwise only learns the states.
 */
export function serviceBeacon(
  name: string,
  intervalMs: number,
  o: { services: readonly string[]; emitAtStartup: boolean; probe?: ServiceProbe },
): Beacon {
  const probe = o.probe ?? systemdProbe;
  // The beacon's own memory of each service's last state: a field of this beacon, not of the module.
  const last = new Map<string, boolean>();
  return {
    name,
    intervalMs,
    poll: async () => {
      const events: BeaconEvent[] = [];
      for (const service of o.services) {
        const running = await probe(service);
        const before = last.get(service);
        last.set(service, running);
        if (before === undefined ? o.emitAtStartup : before !== running)
          events.push({ tag: service, data: { service, running } });
      }
      return events;
    },
  };
}
