import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServiceStates } from './service.js';
import { sysvManager } from './service-manager.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

// The sandbox and CI run no systemd, so the states run against Debian's System V tools
// (update-rc.d from init-system-helpers, start-stop-daemon from dpkg) with a tiny init script.
const canSysv =
  process.getuid?.() === 0 && existsSync('/usr/sbin/update-rc.d') && existsSync('/usr/sbin/start-stop-daemon');
const manager = sysvManager();
const states = createServiceStates(async () => manager);
const svc = (n: string) => states.find((s) => s.name === `service.${n}`)!;

let t: StateTestContext;
let name: string;
let log: string;

function initScript(service: string, logFile: string): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${service}
# Required-Start:    $local_fs
# Required-Stop:     $local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Brine state test service
### END INIT INFO
PIDFILE=/run/${service}.pid
case "$1" in
  start)
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --exec /usr/bin/sleep -- 100000
    # With --background the pidfile may appear just after start-stop-daemon returns: wait for it.
    i=0; while [ ! -s $PIDFILE ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
    echo start >> ${logFile} ;;
  stop) start-stop-daemon --stop --quiet --pidfile $PIDFILE --remove-pidfile --retry 5 ; echo stop >> ${logFile} ;;
  restart) echo restart >> ${logFile}; "$0" stop >/dev/null; "$0" start ;;
  reload) echo reload >> ${logFile} ;;
  status) start-stop-daemon --status --pidfile $PIDFILE ;;
  *) exit 2 ;;
esac
`;
}

beforeEach(async () => {
  t = await createStateTestContext();
  name = `brine-svc-${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
  log = join(t.cacheDir, 'svc.log');
  if (canSysv) await writeFile(`/etc/init.d/${name}`, initScript(name, log), { mode: 0o755 });
});
afterEach(async () => {
  if (canSysv) {
    execFileSync('sh', [
      '-c',
      `/etc/init.d/${name} stop >/dev/null 2>&1; update-rc.d -f ${name} remove >/dev/null 2>&1; true`,
    ]);
    await rm(`/etc/init.d/${name}`, { force: true });
  }
  await t.cleanup();
});

const events = async (): Promise<string[]> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe.runIf(canSysv)('service states with a System V init script', () => {
  it('starts a service and enables it, then finds both done', async () => {
    const args = { name, enable: true };
    expect(await applyState(svc('running'), args, t.state, { test: true })).toEqual({
      name,
      result: null,
      comment: `Service ${name} is set to start\nService ${name} set to be enabled`,
      changes: { [name]: true },
    });
    expect(await manager.running(name, t.state)).toBe(false);
    expect(await applyState(svc('running'), args, t.state)).toEqual({
      name,
      result: true,
      comment: `Started service ${name}\nService ${name} has been enabled, and is running`,
      changes: { [name]: true },
    });
    expect(await manager.running(name, t.state)).toBe(true);
    expect(await manager.enabled(name, t.state)).toBe(true);
    expect(await applyState(svc('running'), args, t.state)).toEqual({
      name,
      result: true,
      comment: `The service ${name} is already running\nService ${name} is already enabled, and is running`,
      changes: {},
    });
  });

  it('restarts on mod_watch, or reloads with reload: true', async () => {
    await applyState(svc('running'), { name }, t.state);
    expect(await applyState(svc('running'), { name }, t.state, { watch: true, test: true })).toMatchObject({
      result: null,
    });
    expect(await applyState(svc('running'), { name }, t.state, { watch: true })).toEqual({
      name,
      result: true,
      comment: 'Service restarted',
      changes: { [name]: true },
    });
    expect(await applyState(svc('running'), { name, reload: true }, t.state, { watch: true })).toMatchObject({
      comment: 'Service reloaded',
    });
    expect(await events()).toEqual(['start', 'restart', 'stop', 'start', 'reload']);
    expect(await manager.running(name, t.state)).toBe(true);
  });

  it('stops and disables a service with service.dead', async () => {
    await applyState(svc('running'), { name, enable: true }, t.state);
    expect(await applyState(svc('dead'), { name, enable: false }, t.state)).toEqual({
      name,
      result: true,
      comment: `Service ${name} was killed\nService ${name} has been disabled, and is dead`,
      changes: { [name]: true },
    });
    expect(await manager.running(name, t.state)).toBe(false);
    expect(await manager.enabled(name, t.state)).toBe(false);
    expect((await applyState(svc('dead'), { name, enable: false }, t.state)).changes).toEqual({});
  });

  it('enables and disables at boot without starting or stopping', async () => {
    expect(await applyState(svc('enabled'), { name }, t.state)).toMatchObject({
      comment: `Service ${name} has been enabled, and is in the desired state`,
      changes: { [name]: true },
    });
    expect((await applyState(svc('enabled'), { name }, t.state)).changes).toEqual({});
    expect(await manager.running(name, t.state)).toBe(false);
    expect((await applyState(svc('disabled'), { name }, t.state, { test: true })).result).toBeNull();
    expect((await applyState(svc('disabled'), { name }, t.state)).changes).toEqual({ [name]: true });
    expect(await manager.enabled(name, t.state)).toBe(false);
  });

  it('predicts instead of failing under test for a service a package may still bring', async () => {
    expect(await applyState(svc('running'), { name: 'no-such-service-brine' }, t.state, { test: true })).toEqual({
      name: 'no-such-service-brine',
      result: null,
      comment: 'Service no-such-service-brine not present; if created in this state run, it would have been started',
      changes: {},
    });
  });

  it('fails for a service that does not exist', async () => {
    expect(await applyState(svc('running'), { name: 'no-such-service-brine' }, t.state)).toMatchObject({
      result: false,
      comment: 'The named service no-such-service-brine is not available',
    });
  });
});
