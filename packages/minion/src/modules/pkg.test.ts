import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';

const hasDpkg = existsSync('/usr/bin/dpkg-query') && existsSync('/usr/bin/apt-get');
const canBuildDeb = hasDpkg && existsSync('/usr/bin/dpkg-deb') && process.getuid?.() === 0;

let t: TestContext;
beforeEach(async () => (t = await createTestContext({ timeoutMs: 120_000 })));
afterEach(() => t.cleanup());

describe.runIf(hasDpkg)('pkg.* on a Debian host', () => {
  it('lists installed packages with their versions', async () => {
    const { ret } = await callFunction(t.ctx, 'pkg.list');
    expect((ret as Record<string, string>).bash).toMatch(/^\d/);
  });

  it('returns one version as a string and several as a mapping, "" when not installed', async () => {
    const bash = await callFunction(t.ctx, 'pkg.version', ['bash']);
    expect(bash.ret).toMatch(/^\d/);
    const both = await callFunction(t.ctx, 'pkg.version', ['bash', 'no-such-package-brine']);
    expect(both.ret).toEqual({ bash: bash.ret, 'no-such-package-brine': '' });
  });

  it('refuses package names that could be read as options', async () => {
    await expect(callFunction(t.ctx, 'pkg.install', ['--allow-unauthenticated'])).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
    });
  });

  it('fails with ERR_MINION_COMMAND_FAILED when apt-get cannot find the package', async () => {
    await expect(callFunction(t.ctx, 'pkg.install', ['no-such-package-brine'])).rejects.toMatchObject({
      code: 'ERR_MINION_COMMAND_FAILED',
      data: { retcode: 100 },
    });
  });

  it.runIf(canBuildDeb)('installs and purges a local empty package, reporting the changes', async () => {
    const build = join(t.cacheDir, 'deb');
    await mkdir(join(build, 'DEBIAN'), { recursive: true });
    await writeFile(
      join(build, 'DEBIAN', 'control'),
      'Package: brine-test-dummy\nVersion: 1.0\nArchitecture: all\nMaintainer: Brine <brine@localhost>\nDescription: empty package for Brine tests\n',
    );
    const deb = join(t.cacheDir, 'brine-test-dummy.deb');
    execFileSync('dpkg-deb', ['--build', build, deb], { stdio: 'ignore' });
    try {
      const installed = await callFunction(t.ctx, 'pkg.install', [], { sources: [deb] });
      // toMatchObject: changes diff the whole package list, so another apt run at the same time
      // (the pkg state tests run in parallel) may add its own package to them.
      expect(installed.ret).toMatchObject({ 'brine-test-dummy': { old: '', new: '1.0' } });
      expect(await callFunction(t.ctx, 'pkg.version', ['brine-test-dummy'])).toEqual({ ret: '1.0' });
    } finally {
      const removed = await callFunction(t.ctx, 'pkg.remove', ['brine-test-dummy'], { purge: true });
      expect(removed.ret).toMatchObject({ 'brine-test-dummy': { old: '1.0', new: '' } });
    }
  });
});

describe('pkg.* without apt', () => {
  it('fails with ERR_MINION_PKG_UNAVAILABLE when apt-get and dpkg are not on PATH', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent-bin';
    try {
      await expect(callFunction(t.ctx, 'pkg.list')).rejects.toMatchObject({ code: 'ERR_MINION_PKG_UNAVAILABLE' });
      await expect(callFunction(t.ctx, 'pkg.install', ['curl'])).rejects.toMatchObject({
        code: 'ERR_MINION_PKG_UNAVAILABLE',
      });
    } finally {
      process.env.PATH = saved;
    }
  });
});
