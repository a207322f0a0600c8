import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { BRINE_VERSION } from '../modules/version.js';
import type { Grains } from '../modules/types.js';

/** What {@link collectGrains} needs. */
export interface CollectGrainsOptions {
  /** The minion id, reported as the `id` grain. */
  id: string;
  /** Custom grains (from the minion's grains file), merged over the collected ones. */
  custom?: Record<string, unknown>;
}

/** `ID` in /etc/os-release → Salt's `os` grain. */
const OS_NAMES: Record<string, string> = {
  debian: 'Debian',
  ubuntu: 'Ubuntu',
  raspbian: 'Raspbian',
  linuxmint: 'Mint',
  centos: 'CentOS',
  rhel: 'RedHat',
  fedora: 'Fedora',
  rocky: 'Rocky',
  almalinux: 'AlmaLinux',
  ol: 'OEL',
  amzn: 'Amazon',
  alpine: 'Alpine',
  arch: 'Arch',
  opensuse: 'SUSE',
  'opensuse-leap': 'Leap',
  sles: 'SUSE',
  gentoo: 'Gentoo',
};

/** `ID`/`ID_LIKE` entries → Salt's `os_family` grain, first match wins. */
const FAMILIES: [string, string][] = [
  ['debian', 'Debian'],
  ['ubuntu', 'Debian'],
  ['rhel', 'RedHat'],
  ['fedora', 'RedHat'],
  ['centos', 'RedHat'],
  ['suse', 'Suse'],
  ['arch', 'Arch'],
  ['alpine', 'Alpine'],
  ['gentoo', 'Gentoo'],
];

/**
 * Collects the host's grains: identity (id, host, fqdn, machine_id), OS (os, os_family, osrelease,
 * oscodename, kernel, kernelrelease), hardware (arch, num_cpus, cpu_model, mem_total in MiB) and
 * addresses (ipv4, ipv6, ip4_interfaces), with `custom` merged over them. Reads a few small files
 * and makes no DNS query, so it takes milliseconds; a missing file leaves its grains out or empty.
 */
export async function collectGrains(options: CollectGrainsOptions): Promise<Grains> {
  const [osRelease, machineId, hosts] = await Promise.all([
    readText('/etc/os-release'),
    readText('/etc/machine-id'),
    readText('/etc/hosts'),
  ]);
  const nodename = os.hostname();
  const fqdn = findFqdn(nodename, hosts ?? '');
  const cpus = os.cpus();
  return {
    id: options.id,
    host: nodename.split('.')[0],
    nodename,
    fqdn,
    domain: fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : '',
    ...osGrains(parseOsRelease(osRelease ?? '')),
    kernel: os.type(),
    kernelrelease: os.release(),
    kernelversion: os.version(),
    arch: os.machine(),
    num_cpus: os.availableParallelism(),
    cpu_model: cpus[0]?.model ?? '',
    mem_total: Math.round(os.totalmem() / (1024 * 1024)),
    ...addressGrains(),
    ...(machineId?.trim() ? { machine_id: machineId.trim() } : {}),
    nodejs: process.version,
    brine_version: BRINE_VERSION,
    ...options.custom,
  };
}

/** Parses os-release(5): `KEY=value` lines, values optionally quoted. */
function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2').replace(/\\(["$`\\])/g, '$1');
  }
  return out;
}

function osGrains(rel: Record<string, string>): Grains {
  const id = (rel.ID ?? 'linux').toLowerCase();
  const like = [id, ...(rel.ID_LIKE ?? '').toLowerCase().split(/\s+/)];
  const family = FAMILIES.find(([key]) => like.includes(key))?.[1];
  const release = rel.VERSION_ID ?? '';
  const major = Number.parseInt(release, 10);
  return {
    os: OS_NAMES[id] ?? rel.NAME ?? 'Linux',
    os_family: family ?? OS_NAMES[id] ?? 'Linux',
    osfullname: rel.NAME ?? '',
    osrelease: release,
    ...(Number.isNaN(major) ? {} : { osmajorrelease: major }),
    oscodename: rel.VERSION_CODENAME ?? '',
  };
}

/** The first dotted name of the /etc/hosts line that names this host, as getfqdn() usually finds it. */
function findFqdn(nodename: string, hosts: string): string {
  if (nodename.includes('.')) return nodename;
  for (const line of hosts.split('\n')) {
    const names = line.replace(/#.*/, '').trim().split(/\s+/).slice(1);
    if (!names.includes(nodename)) continue;
    const dotted = names.find((n) => n.startsWith(`${nodename}.`));
    if (dotted) return dotted;
  }
  return nodename;
}

function addressGrains(): Grains {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  const ip4Interfaces: Record<string, string[]> = {};
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4') {
        ipv4.push(a.address);
        (ip4Interfaces[name] ??= []).push(a.address);
      } else {
        ipv6.push(a.address);
      }
    }
  }
  const unique = (list: string[]): string[] => [...new Set(list)].sort();
  return { ipv4: unique(ipv4), ipv6: unique(ipv6), ip4_interfaces: ip4Interfaces };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
