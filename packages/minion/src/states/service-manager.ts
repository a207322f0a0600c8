import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { CommandFailedError, ServiceUnavailableError } from '../errors.js';
import { runProcess, type ProcessResult } from '../executor/run-process.js';
import { which } from '../modules/which.js';
import type { StateContext } from './types.js';

/** Present only while systemd is PID 1 (sd_booted(3)). */
const SYSTEMD_RUNTIME_DIR = '/run/systemd/system';

/** The context a service manager needs to run its tools. */
export type ServiceContext = Pick<StateContext, 'signal' | 'timeoutMs'>;

/**
 * A host's service manager as the service states use it. An implementation owes: whether a
 * service exists, runs and starts at boot, and the actions; each action rejects with a coded
 * error carrying the tool's message when it fails.
 */
export interface ServiceManager {
  /** `systemd` or `sysv`, for comments and logs. */
  readonly kind: string;
  available(name: string, ctx: ServiceContext): Promise<boolean>;
  running(name: string, ctx: ServiceContext): Promise<boolean>;
  enabled(name: string, ctx: ServiceContext): Promise<boolean>;
  act(verb: 'start' | 'stop' | 'restart' | 'reload', name: string, ctx: ServiceContext): Promise<void>;
  setEnabled(name: string, on: boolean, ctx: ServiceContext): Promise<void>;
}

async function tool(argv: string[], ctx: ServiceContext): Promise<ProcessResult> {
  const first = argv[0]!;
  const program = first.startsWith('/') ? first : ((await which(first)) ?? `/usr/sbin/${first}`);
  return runProcess({
    argv: [program, ...argv.slice(1)],
    env: { LC_ALL: 'C', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' },
    maxOutputBytes: 256 * 1024,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
  });
}

async function must(argv: string[], ctx: ServiceContext): Promise<void> {
  const r = await tool(argv, ctx);
  if (r.retcode !== 0) throw new CommandFailedError(argv.slice(0, 2).join(' '), r.retcode, r.stderr || r.stdout);
}

/** systemd through systemctl. */
export function systemdManager(): ServiceManager {
  return {
    kind: 'systemd',
    available: async (name, ctx) => (await tool(['systemctl', 'cat', '--', name], ctx)).retcode === 0,
    running: async (name, ctx) => (await tool(['systemctl', 'is-active', '--quiet', '--', name], ctx)).retcode === 0,
    enabled: async (name, ctx) => (await tool(['systemctl', 'is-enabled', '--quiet', '--', name], ctx)).retcode === 0,
    act: (verb, name, ctx) => must(['systemctl', verb, '--', name], ctx),
    setEnabled: (name, on, ctx) => must(['systemctl', on ? 'enable' : 'disable', '--', name], ctx),
  };
}

/**
 * Debian's System V init scripts: `/etc/init.d/<name>` run through `service`, boot links from
 * `update-rc.d`, enabled when a runlevel 2-5 directory has an `S` link to it.
 */
export function sysvManager(initDir = '/etc/init.d', rcRoot = '/etc'): ServiceManager {
  return {
    kind: 'sysv',
    available: (name) =>
      access(`${initDir}/${name}`, constants.X_OK).then(
        () => true,
        () => false,
      ),
    // LSB status: 0 running, 3 stopped (1, 2 and 4 are not running either).
    running: async (name, ctx) => (await tool([`${initDir}/${name}`, 'status'], ctx)).retcode === 0,
    enabled: async (name) => {
      for (const level of ['2', '3', '4', '5']) {
        const links = await readdir(`${rcRoot}/rc${level}.d`).catch(() => [] as string[]);
        if (links.some((l) => new RegExp(`^S\\d\\d${escape(name)}$`).test(l))) return true;
      }
      return false;
    },
    act: (verb, name, ctx) => must([`${initDir}/${name}`, verb], ctx),
    setEnabled: async (name, on, ctx) => {
      if (on) await must(['update-rc.d', name, 'defaults'], ctx);
      await must(['update-rc.d', name, on ? 'enable' : 'disable'], ctx);
    },
  };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** systemd when it is PID 1 (as sd_booted(3) checks), else System V init scripts; throws when neither exists. */
export async function detectServiceManager(): Promise<ServiceManager> {
  if (
    await access(SYSTEMD_RUNTIME_DIR).then(
      () => true,
      () => false,
    )
  )
    return systemdManager();
  if (
    (await which('update-rc.d')) ??
    (await access('/usr/sbin/update-rc.d').then(
      () => '/usr/sbin/update-rc.d',
      () => undefined,
    ))
  ) {
    return sysvManager();
  }
  throw new ServiceUnavailableError('neither systemd (PID 1) nor update-rc.d (init-system-helpers) is present');
}
