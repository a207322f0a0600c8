import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callFunction, createTestContext, type TestContext } from './test-context.js';
import type { MasterFiles } from './types.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
  await mkdir(join(t.fileRoot, 'web/static/css'), { recursive: true });
  await writeFile(join(t.fileRoot, 'web/static/index.html'), '<h1>hi</h1>');
  await writeFile(join(t.fileRoot, 'web/static/css/site.css'), 'body{}');
  await writeFile(join(t.fileRoot, 'web/staticky.txt'), 'not in the dir');
  await writeFile(join(t.fileRoot, 'motd'), 'welcome');
});
afterEach(() => t.cleanup());

describe('cp.get_file', () => {
  it('copies a file to dest and returns the path', async () => {
    const dest = join(t.cacheDir, 'motd.copy');
    expect(await callFunction(t.ctx, 'cp.get_file', ['brine://motd', dest])).toEqual({ ret: dest });
    expect(await readFile(dest, 'utf8')).toBe('welcome');
  });

  it('puts the file inside a dest directory under its own name', async () => {
    expect(await callFunction(t.ctx, 'cp.get_file', ['brine://motd', t.cacheDir])).toEqual({
      ret: join(t.cacheDir, 'motd'),
    });
  });

  it('caches the file when no dest is given, and creates parents with makedirs', async () => {
    expect(await callFunction(t.ctx, 'cp.get_file', ['brine://web/static/index.html'])).toEqual({
      ret: join(t.cacheDir, 'files/web/static/index.html'),
    });
    const deep = join(t.cacheDir, 'a/b/motd');
    await callFunction(t.ctx, 'cp.get_file', ['brine://motd', deep], { makedirs: true });
    expect(await readFile(deep, 'utf8')).toBe('welcome');
  });

  it('refuses a source that is not brine:// and a relative dest', async () => {
    await expect(callFunction(t.ctx, 'cp.get_file', ['/etc/passwd', '/tmp/x'])).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
    });
    await expect(callFunction(t.ctx, 'cp.get_file', ['brine://motd', 'tmp/x'])).rejects.toMatchObject({
      code: 'ERR_ARGS_INVALID',
    });
  });
});

describe('cp.get_dir', () => {
  it('copies a directory recursively into dest, under its own name', async () => {
    const dest = join(t.cacheDir, 'srv');
    const { ret } = await callFunction(t.ctx, 'cp.get_dir', ['brine://web/static/', dest]);
    expect(ret).toEqual([join(dest, 'static/css/site.css'), join(dest, 'static/index.html')]);
    expect(await readFile(join(dest, 'static/css/site.css'), 'utf8')).toBe('body{}');
  });

  it('refuses a listing entry that would escape dest', async () => {
    const evil: MasterFiles = {
      list: async () => ['web/static/../../../../etc/evil'],
      getFile: async () => ({ sha256: '', size: 0 }),
    };
    t.ctx.files = evil;
    await expect(callFunction(t.ctx, 'cp.get_dir', ['brine://web/static', t.cacheDir])).rejects.toMatchObject({
      code: 'ERR_MINION_PATH_REFUSED',
    });
  });
});

describe('cp.list_master', () => {
  it('lists the master files under a prefix given with or without brine://', async () => {
    expect(await callFunction(t.ctx, 'cp.list_master', ['brine://web/static'])).toEqual({
      ret: ['web/static/css/site.css', 'web/static/index.html'],
    });
    expect((await callFunction(t.ctx, 'cp.list_master')).ret).toHaveLength(4);
  });
});
