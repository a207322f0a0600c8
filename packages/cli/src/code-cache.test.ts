import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeCacheDir, loadWithCodeCache } from './code-cache.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brine-code-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A CommonJS bundle that exports a function and uses what Node's loader gives a module. */
const bundle = (answer: number) =>
  `const { basename } = require('node:path');\nexports.answer = () => ${answer};\nmodule.exports.file = basename(__filename);\n`;

describe('loadWithCodeCache', () => {
  it('loads a CommonJS bundle, keeps its code, and takes it from the cache the next time', () => {
    const file = join(dir, 'b.cjs');
    writeFileSync(file, bundle(41));
    const cache = join(dir, 'cache');
    mkdirSync(cache);
    const first = loadWithCodeCache(file, cache);
    expect((first.exports['answer'] as () => number)()).toBe(41);
    expect(first.exports['file']).toBe('b.cjs');
    expect(first.cached).toBe(false);
    first.save();
    expect(readdirSync(cache)).toHaveLength(1);
    const second = loadWithCodeCache(file, cache);
    expect(second.cached).toBe(true);
    expect((second.exports['answer'] as () => number)()).toBe(41);
  });

  it('never runs the code of another bundle of the same length', () => {
    const file = join(dir, 'b.cjs');
    const cache = join(dir, 'cache');
    mkdirSync(cache);
    writeFileSync(file, bundle(41));
    loadWithCodeCache(file, cache).save();
    writeFileSync(file, bundle(42));
    const changed = loadWithCodeCache(file, cache);
    expect(changed.cached).toBe(false);
    expect((changed.exports['answer'] as () => number)()).toBe(42);
  });

  it('keeps the code of the four newest bundle versions only', () => {
    const cache = join(dir, 'cache');
    mkdirSync(cache);
    for (let answer = 10; answer < 16; answer++) {
      const file = join(dir, `b${answer}.cjs`);
      writeFileSync(file, bundle(answer));
      loadWithCodeCache(file, cache).save();
    }
    expect(readdirSync(cache)).toHaveLength(4);
    const newest = join(dir, 'b15.cjs');
    expect(loadWithCodeCache(newest, cache).cached).toBe(true);
  });

  it('compiles without a cache when there is no cache directory', () => {
    const file = join(dir, 'b.cjs');
    writeFileSync(file, bundle(7));
    const mod = loadWithCodeCache(file, undefined);
    mod.save();
    expect((mod.exports['answer'] as () => number)()).toBe(7);
  });
});

describe('codeCacheDir', () => {
  it('makes a private directory under XDG_CACHE_HOME', () => {
    const got = codeCacheDir({ XDG_CACHE_HOME: dir });
    expect(got).toBe(join(dir, 'brine'));
  });

  it('refuses a directory that other users may write', () => {
    mkdirSync(join(dir, 'brine'));
    chmodSync(join(dir, 'brine'), 0o777);
    expect(codeCacheDir({ XDG_CACHE_HOME: dir })).toBeUndefined();
  });
});
