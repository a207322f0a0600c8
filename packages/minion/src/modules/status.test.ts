import { networkInterfaces } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

let t: TestContext;
beforeEach(async () => (t = await createTestContext()));
afterEach(() => t.cleanup());

describe('status.*', () => {
  it('reports uptime in seconds with the boot time', async () => {
    const { ret } = await callFunction(t.ctx, 'status.uptime');
    const { seconds, since } = ret as { seconds: number; since: string };
    expect(seconds).toBeGreaterThan(0);
    expect(Math.abs(Date.parse(since) + seconds * 1000 - Date.now())).toBeLessThan(2000);
  });

  it('reports the three load averages', async () => {
    const { ret } = await callFunction(t.ctx, 'status.loadavg');
    expect(Object.keys(ret as object)).toEqual(['1-min', '5-min', '15-min']);
  });

  it('reports disk usage of a path, and of the real mounts by default', async () => {
    const { ret } = await callFunction(t.ctx, 'status.diskusage', ['/']);
    const root = (ret as Record<string, { total: number; used: number; available: number; capacity: string }>)['/']!;
    expect(root.total).toBeGreaterThan(0);
    expect(root.used + root.available).toBeLessThanOrEqual(root.total);
    expect(root.capacity).toMatch(/^\d+%$/);
    const all = (await callFunction(t.ctx, 'status.diskusage')).ret as Record<string, unknown>;
    expect(Object.keys(all)).toContain('/');
    expect(Object.keys(all)).not.toContain('/proc');
  });
});

describe('network.ip_addrs', () => {
  const loopback = '127.0.0.1';
  const external = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);

  it('lists IPv4 addresses without loopback by default', async () => {
    const { ret } = await callFunction(t.ctx, 'network.ip_addrs');
    expect(ret).toEqual([...new Set(external)].sort());
    expect(ret).not.toContain(loopback);
  });

  it('includes loopback on request and filters by CIDR', async () => {
    expect((await callFunction(t.ctx, 'network.ip_addrs', [], { include_loopback: true })).ret).toContain(loopback);
    const only = await callFunction(t.ctx, 'network.ip_addrs', [], { include_loopback: true, cidr: '127.0.0.0/8' });
    expect(only.ret).toEqual([loopback]);
    await expect(callFunction(t.ctx, 'network.ip_addrs', [], { cidr: '10.0.0.0/33' })).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
    });
  });
});
