import { networkInterfaces } from 'node:os';
import { ipv4ToInt } from '@brine/protocol';
import { z } from 'zod';
import { defineFunction, type ModuleFunction } from './types.js';

const cidrSchema = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 10.0.0.0/8')
  .refine((c) => ipv4ToInt(c.split('/')[0]!) !== undefined && Number(c.split('/')[1]) <= 32, 'not a valid CIDR');

const ipAddrs = defineFunction({
  name: 'network.ip_addrs',
  doc: `Returns the host's IPv4 addresses, without loopback unless include_loopback=true, optionally
only those of one interface or inside a CIDR.

CLI Example:

    brine '*' network.ip_addrs
    brine '*' network.ip_addrs cidr=10.0.0.0/8 interface=eth0`,
  params: ['interface'],
  schema: z.object({
    interface: z.string().max(64).optional(),
    include_loopback: z.boolean().default(false),
    cidr: cidrSchema.optional(),
  }),
  run: async ({ interface: iface, include_loopback, cidr }) => {
    const inCidr = cidr === undefined ? () => true : cidrMatcher(cidr);
    const found = new Set<string>();
    for (const [name, addrs] of Object.entries(networkInterfaces())) {
      if (iface !== undefined && name !== iface) continue;
      for (const a of addrs ?? []) {
        if (a.family !== 'IPv4' || (a.internal && !include_loopback)) continue;
        if (inCidr(a.address)) found.add(a.address);
      }
    }
    return { ret: [...found].sort() };
  },
});

function cidrMatcher(cidr: string): (ip: string) => boolean {
  const [base, bits] = cidr.split('/');
  const prefix = Number(bits);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const net = (ipv4ToInt(base!)! & mask) >>> 0;
  return (ip) => {
    const n = ipv4ToInt(ip);
    return n !== undefined && (n & mask) >>> 0 === net;
  };
}

/** The `network.*` functions: ip_addrs. */
export const networkFunctions: readonly ModuleFunction[] = [ipAddrs];
