import { expect } from 'vitest';
import { ErrorCode } from './errors.js';
import type { TargetTypeValue } from './frames.js';
import { compileTarget } from './targeting.js';
import type { TargetError, TargetFacts, TargetOptions } from './target-types.js';

/** Test fixture: five minions with the grains the targeting tests look at. */
export const FLEET: TargetFacts[] = [
  {
    id: 'web1',
    grains: {
      os: 'Debian',
      num_cpus: 8,
      mem_total: 16_000,
      roles: ['web', 'cache'],
      ipv4: ['127.0.0.1', '10.0.1.5'],
      ip_interfaces: { eth0: ['10.0.1.5'] },
      cpu_model: 'Intel(R) Xeon',
      virtual: true,
    },
  },
  { id: 'web2', grains: { os: 'Ubuntu', num_cpus: 2, mem_total: 4096, roles: ['web'], ipv4: ['10.0.1.6'] } },
  { id: 'db1', grains: { os: 'Debian', num_cpus: 16, mem_total: 65_536, roles: ['db'], ipv4: ['10.0.2.10'] } },
  { id: 'db2.example.com', grains: { os: 'CentOS', num_cpus: '4', osrelease: '7.9', ipv6: ['fe80::1'] } },
  { id: 'mail', grains: {} },
];

/** Test fixture: the ids of the fleet that a target selects; a compile error fails the test with its message. */
export function select(
  tgt: string | readonly string[],
  tgtType: TargetTypeValue = 'compound',
  options?: TargetOptions,
) {
  const compiled = compileTarget(tgt, tgtType, options);
  if (!compiled.ok) throw new Error(compiled.error.message);
  return FLEET.filter(compiled.match).map((m) => m.id);
}

/** Test fixture: the error a target compiles to; fails the test if it compiles. */
export function errorOf(tgt: string, tgtType: TargetTypeValue = 'compound', options?: TargetOptions): TargetError {
  const compiled = compileTarget(tgt, tgtType, options);
  if (compiled.ok) throw new Error(`${tgt} compiled`);
  expect(compiled.error.code).toBe(ErrorCode.TARGET_SYNTAX);
  return compiled.error;
}

/**
 * Test fixture: `n` minions shaped like a real fleet (`web00042.dc3.example.com`, a 32-hex-digit
 * `machine_id`, an `os`, a `num_cpus` and an `ipv4` list), for cost tests over 10,000 minions.
 */
export function fleetOf(n: number): TargetFacts[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `web${String(i).padStart(5, '0')}.dc${i % 7}.example.com`,
    grains: {
      machine_id: (BigInt(i + 1) * 2_654_435_761n).toString(16).padStart(32, '0').slice(0, 32),
      os: i % 3 === 0 ? 'Debian' : 'Ubuntu',
      num_cpus: 2 ** (i % 5),
      ipv4: ['127.0.0.1', `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    },
  }));
}
