import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitStates } from './git.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

const hasGit = existsSync('/usr/bin/git');
const latest = gitStates[0]!;

let t: StateTestContext;
let origin: string;
let work: string;
let target: string;

function g(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Brine', '-c', 'user.email=brine@localhost', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

async function commit(file: string, text: string): Promise<string> {
  await writeFile(join(work, file), text);
  g(work, 'add', file);
  g(work, 'commit', '-q', '-m', `edit ${file}`);
  g(work, 'push', '-q', 'origin', 'HEAD:main');
  return g(work, 'rev-parse', 'HEAD');
}

beforeEach(async () => {
  t = await createStateTestContext();
  origin = join(t.cacheDir, 'origin.git');
  work = join(t.cacheDir, 'work');
  target = join(t.cacheDir, 'host/srv/app');
  if (!hasGit) return;
  await mkdir(work);
  g(t.cacheDir, 'init', '-q', '--bare', '-b', 'main', origin);
  g(work, 'init', '-q', '-b', 'main');
  g(work, 'remote', 'add', 'origin', origin);
});
afterEach(() => t.cleanup());

describe.runIf(hasGit)('git.latest with a local bare repository', () => {
  it('clones, is then up to date, and fast-forwards to a new commit', async () => {
    const first = await commit('README', 'v1\n');
    const args = { name: origin, target, rev: 'main' };
    expect(await applyState(latest, args, t.state, { test: true })).toEqual({
      name: target,
      result: null,
      comment: `${origin} would be cloned to ${target}`,
      changes: { new: `${origin} => ${target}`, revision: { old: null, new: first } },
    });
    expect(await applyState(latest, args, t.state)).toMatchObject({
      result: true,
      comment: `${origin} cloned to ${target}`,
      changes: { revision: { new: first } },
    });
    expect(await readFile(join(target, 'README'), 'utf8')).toBe('v1\n');
    expect(await applyState(latest, args, t.state)).toMatchObject({
      changes: {},
      comment: `Repository ${target} is up-to-date`,
    });
    const second = await commit('README', 'v2\n');
    expect((await applyState(latest, args, t.state, { test: true })).changes).toEqual({
      revision: { old: first, new: second },
    });
    expect(await applyState(latest, args, t.state)).toEqual({
      name: target,
      result: true,
      comment: `Repository ${target} updated`,
      changes: { revision: { old: first, new: second } },
    });
    expect(await readFile(join(target, 'README'), 'utf8')).toBe('v2\n');
  });

  it('refuses to discard local changes unless force_reset', async () => {
    await commit('README', 'v1\n');
    const args = { name: origin, target, rev: 'main' };
    await applyState(latest, args, t.state);
    await commit('README', 'v2\n');
    await writeFile(join(target, 'README'), 'local edit\n');
    expect(await applyState(latest, args, t.state)).toMatchObject({
      result: false,
      comment: expect.stringContaining('local changes'),
    });
    expect((await applyState(latest, { ...args, force_reset: true }, t.state)).result).toBe(true);
    expect(await readFile(join(target, 'README'), 'utf8')).toBe('v2\n');
  });

  it('fails for a revision the remote does not have', async () => {
    await commit('README', 'v1\n');
    expect(await applyState(latest, { name: origin, target, rev: 'nope' }, t.state)).toMatchObject({
      result: false,
      comment: `Revision 'nope' does not exist in remote ${origin}`,
    });
  });
});
