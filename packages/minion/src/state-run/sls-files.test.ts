import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../modules/test-context.js';
import { localFileReader } from './local-roots.js';
import { localFiles } from './local-files.js';
import { envPath, masterFileReader } from './sls-files.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
  await mkdir(join(t.fileRoot, 'dev/app'), { recursive: true });
  await mkdir(join(t.fileRoot, 'app'), { recursive: true });
  await writeFile(join(t.fileRoot, 'app/init.sls'), 'base: 1\n');
  await writeFile(join(t.fileRoot, 'dev/app/init.sls'), 'dev: 1\n');
});
afterEach(() => t.cleanup());

describe('SLS files for the engine', () => {
  it('maps saltenv base to the roots and another saltenv to its directory in them', () => {
    expect(envPath('base', 'salt://app/init.sls')).toBe('app/init.sls');
    expect(envPath('dev', 'app/init.sls')).toBe('dev/app/init.sls');
  });

  it('reads SLS through the master file server into the cache, and a missing one as undefined', async () => {
    const read = masterFileReader(t.ctx.files, t.cacheDir);
    expect(await read('base', 'app/init.sls')).toBe('base: 1\n');
    expect(await read('dev', 'app/init.sls')).toBe('dev: 1\n');
    expect(await read('base', 'nope.sls')).toBeUndefined();
  });

  it('refuses a path that would leave the cache directory', async () => {
    const read = masterFileReader(t.ctx.files, t.cacheDir);
    await expect(read('base', '../../etc/passwd')).rejects.toMatchObject({ code: 'ERR_MINION_PATH_REFUSED' });
  });
});

describe('a local file root (brine-call --local --file-root)', () => {
  let outside: string;
  beforeEach(async () => {
    outside = await mkdtemp(join(tmpdir(), 'brine-outside-'));
    await writeFile(join(outside, 'secret'), 'no');
    await symlink(join(outside, 'secret'), join(t.fileRoot, 'escape'));
  });
  afterEach(() => rm(outside, { recursive: true, force: true }));

  it('reads SLS per saltenv and refuses to climb out', async () => {
    const read = localFileReader(t.fileRoot);
    expect(await read('dev', 'app/init.sls')).toBe('dev: 1\n');
    expect(await read('base', 'nope.sls')).toBeUndefined();
    await expect(read('base', '../x')).rejects.toMatchObject({ code: 'ERR_MINION_PATH_REFUSED' });
  });

  it('serves brine:// files from the root but not through a link that leaves it', async () => {
    const files = localFiles(t.fileRoot);
    const dest = join(t.cacheDir, 'copy');
    await expect(files.getFile('salt://app/init.sls', dest)).resolves.toMatchObject({ size: 8 });
    await expect(files.getFile('brine://escape', dest)).rejects.toMatchObject({ code: 'ERR_MINION_PATH_REFUSED' });
    await expect(files.getFile('brine://../x', dest)).rejects.toMatchObject({ code: 'ERR_MINION_PATH_REFUSED' });
    expect(await files.list('app')).toEqual(['app/init.sls']);
  });
});
