import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pkgStates } from './pkg.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';
import type { StateContext } from './types.js';

const pkg = (n: string) => pkgStates.find((s) => s.name === `pkg.${n}`)!;
const canBuildDeb = existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg-deb') && process.getuid?.() === 0;

let t: StateTestContext;
beforeEach(async () => (t = await createStateTestContext({ timeoutMs: 180_000 })));
afterEach(() => t.cleanup());

/**
 * A fake dpkg/apt behind the pkg.* execution functions: `installed` is dpkg's database and
 * `repo` apt's candidates. The states only talk to the host through ctx.call, so this covers
 * upgrades and versions that a sandbox without a package mirror cannot show for real.
 */
function fakeApt(
  installed: Record<string, string>,
  repo: Record<string, string>,
): { ctx: StateContext; calls: string[] } {
  const calls: string[] = [];
  const pick = (names: string[], f: (n: string) => string) =>
    names.length === 1 ? f(names[0]!) : Object.fromEntries(names.map((n) => [n, f(n)]));
  const call: StateContext['call'] = async (fun, args = [], kwargs = {}) => {
    calls.push(fun);
    const names = args as string[];
    if (fun === 'pkg.version') return { ret: pick(names, (n) => installed[n] ?? '') };
    if (fun === 'pkg.latest_version')
      return { ret: pick(names, (n) => (repo[n] && repo[n] !== installed[n] ? repo[n] : '')) };
    const before = { ...installed };
    if (fun === 'pkg.install') {
      const k = kwargs as { name?: string; version?: string; pkgs?: string[] };
      for (const n of k.pkgs ?? []) if (repo[n]) installed[n] = repo[n];
      if (k.name) installed[k.name] = k.version ?? repo[k.name]!;
    } else if (fun === 'pkg.remove') {
      for (const n of (kwargs as { pkgs: string[] }).pkgs) delete installed[n];
    } else throw new Error(`unexpected ${fun}`);
    const changes: Record<string, unknown> = {};
    for (const n of new Set([...Object.keys(before), ...Object.keys(installed)])) {
      if (before[n] !== installed[n]) changes[n] = { old: before[n] ?? '', new: installed[n] ?? '' };
    }
    return { ret: changes };
  };
  return { ctx: { ...t.state, call }, calls };
}

describe('pkg states over a fake apt', () => {
  it('installs missing packages, predicting the candidate versions under test', async () => {
    const { ctx, calls } = fakeApt({ curl: '7.88' }, { curl: '7.88', jq: '1.6', vim: '9.0' });
    const args = { name: 'tools', pkgs: ['curl', 'jq', { vim: '9.0' }] };
    const predicted = await applyState(pkg('installed'), args, ctx, { test: true });
    expect(predicted).toEqual({
      name: 'tools',
      result: null,
      comment: 'The following packages would be installed/updated: jq, vim',
      changes: { jq: { old: '', new: '1.6' }, vim: { old: '', new: '9.0' } },
    });
    expect(calls).not.toContain('pkg.install');
    const done = await applyState(pkg('installed'), args, ctx);
    expect(done).toEqual({
      ...predicted,
      result: true,
      comment: 'The following packages were installed/updated: jq, vim',
    });
    expect(await applyState(pkg('installed'), args, ctx)).toMatchObject({
      changes: {},
      comment: 'All specified packages are already installed',
    });
  });

  it('installs a pinned version over another, and fails when apt cannot provide it', async () => {
    const { ctx } = fakeApt({ nginx: '1.22' }, { nginx: '1.24' });
    expect(await applyState(pkg('installed'), { name: 'nginx' }, ctx)).toMatchObject({
      changes: {},
      comment: 'Package nginx is already installed',
    });
    expect((await applyState(pkg('installed'), { name: 'nginx', version: '1.24' }, ctx)).changes).toEqual({
      nginx: { old: '1.22', new: '1.24' },
    });
    expect(await applyState(pkg('installed'), { name: 'nginx', version: '1.2*' }, ctx)).toMatchObject({ changes: {} });
    const missing = await applyState(pkg('installed'), { name: 'ghost' }, ctx);
    expect(missing).toMatchObject({ result: false, comment: 'The following packages failed to install/update: ghost' });
  });

  it('upgrades to the candidate with pkg.latest and is then up to date', async () => {
    const { ctx } = fakeApt({ openssl: '3.0.1' }, { openssl: '3.0.2' });
    expect(await applyState(pkg('latest'), { name: 'openssl' }, ctx, { test: true })).toMatchObject({
      result: null,
      changes: { openssl: { old: '3.0.1', new: '3.0.2' } },
    });
    expect(await applyState(pkg('latest'), { name: 'openssl' }, ctx)).toMatchObject({
      result: true,
      comment: 'The following packages were successfully installed/upgraded: openssl',
      changes: { openssl: { old: '3.0.1', new: '3.0.2' } },
    });
    expect(await applyState(pkg('latest'), { name: 'openssl' }, ctx)).toMatchObject({
      changes: {},
      comment: 'Package openssl is already up-to-date',
    });
    expect(await applyState(pkg('latest'), { name: 'ghost' }, ctx)).toMatchObject({
      result: false,
      comment: "No information found for 'ghost'.",
    });
  });

  it('removes and purges installed packages only', async () => {
    const { ctx } = fakeApt({ telnet: '0.17', rsh: '1' }, {});
    expect(await applyState(pkg('removed'), { name: 'x', pkgs: ['telnet', 'ftp'] }, ctx)).toMatchObject({
      comment: 'The following packages were removed: telnet',
      changes: { telnet: { old: '0.17', new: '' } },
    });
    expect(await applyState(pkg('purged'), { name: 'rsh' }, ctx, { test: true })).toMatchObject({
      result: null,
      comment: 'The following packages will be purged: rsh',
    });
    expect((await applyState(pkg('purged'), { name: 'rsh' }, ctx)).changes).toEqual({ rsh: { old: '1', new: '' } });
    expect(await applyState(pkg('purged'), { name: 'rsh' }, ctx)).toMatchObject({
      changes: {},
      comment: 'All specified packages are already absent',
    });
  });
});

describe.runIf(canBuildDeb)('pkg states with real apt and dpkg', () => {
  it('installs a local package from brine://, keeps it, and removes then purges it', async () => {
    // A name of this run's own: two suites on one host (a developer's and CI's) share dpkg.
    const name = `brine-state-dummy-${process.pid}`;
    const build = join(t.cacheDir, 'deb');
    await mkdir(join(build, 'DEBIAN'), { recursive: true });
    await writeFile(
      join(build, 'DEBIAN', 'control'),
      `Package: ${name}\nVersion: 2.0\nArchitecture: all\nMaintainer: Brine <brine@localhost>\nDescription: empty package for Brine state tests\n`,
    );
    execFileSync('dpkg-deb', ['--build', build, join(t.fileRoot, `${name}.deb`)], { stdio: 'ignore' });
    const args = { name, sources: [{ [name]: `salt://${name}.deb` }] };
    try {
      expect(await applyState(pkg('installed'), args, t.state, { test: true })).toMatchObject({
        result: null,
        changes: { [name]: { old: '', new: 'installed' } },
      });
      expect(await applyState(pkg('installed'), args, t.state)).toMatchObject({
        result: true,
        changes: { [name]: { old: '', new: '2.0' } },
      });
      expect(await applyState(pkg('installed'), args, t.state)).toMatchObject({
        changes: {},
        comment: `Package ${name} is already installed`,
      });
      expect(await applyState(pkg('latest'), { name }, t.state)).toMatchObject({
        changes: {},
        comment: `Package ${name} is already up-to-date`,
      });
      expect(await applyState(pkg('removed'), { name }, t.state)).toMatchObject({
        result: true,
        changes: { [name]: { old: '2.0', new: '' } },
      });
      expect(await applyState(pkg('purged'), { name }, t.state)).toMatchObject({ changes: {} });
    } finally {
      execFileSync('sh', ['-c', `dpkg --purge ${name} >/dev/null 2>&1 || true`]);
    }
  }, 180_000);
});
