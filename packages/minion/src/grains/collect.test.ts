import { describe, expect, it } from 'vitest';
import { BRINE_VERSION } from '../modules/version.js';
import { collectGrains } from './collect.js';

describe('collectGrains', () => {
  it('collects identity, OS, hardware and address grains from this host', async () => {
    const g = await collectGrains({ id: 'minion-1' });
    expect(g).toMatchObject({
      id: 'minion-1',
      kernel: 'Linux',
      nodejs: process.version,
      brine_version: BRINE_VERSION,
    });
    expect(typeof g.host).toBe('string');
    expect(typeof g.fqdn).toBe('string');
    expect(g.num_cpus).toBeGreaterThan(0);
    expect(g.mem_total).toBeGreaterThan(0);
    expect(g.ipv4).toContain('127.0.0.1');
    expect(Array.isArray(g.ipv6)).toBe(true);
    expect(typeof g.kernelrelease).toBe('string');
    expect(typeof g.arch).toBe('string');
  });

  it('names a Debian host as Salt does', async ({ skip }) => {
    const g = await collectGrains({ id: 'm' });
    if (g.osfullname !== 'Debian GNU/Linux') skip();
    expect(g).toMatchObject({ os: 'Debian', os_family: 'Debian' });
    expect(g.osrelease).toMatch(/^\d+/);
    expect(typeof g.oscodename).toBe('string');
    expect(g.machine_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('merges custom grains over the collected ones', async () => {
    const g = await collectGrains({ id: 'm', custom: { role: 'web', os: 'Custom' } });
    expect(g).toMatchObject({ role: 'web', os: 'Custom' });
  });

  it('takes less than 50 ms', async () => {
    await collectGrains({ id: 'warm-up' });
    const started = performance.now();
    await collectGrains({ id: 'm' });
    expect(performance.now() - started).toBeLessThan(50);
  });
});
