import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as zod from 'zod';
import { ExtendCompiler, HOST_ZOD_KEY } from './extend-compiler.js';

const EXAMPLES = join(import.meta.dirname, '../../../../examples/extending');

function tempRoot(): { root: string; out: string } {
  const base = mkdtempSync(join(tmpdir(), 'brine-extend-compile-'));
  return { root: join(base, 'srv'), out: join(base, 'out') };
}

describe('ExtendCompiler', () => {
  it('bundles the TypeScript examples into single ES modules with their signed-listing hashes', async () => {
    const { out } = tempRoot();
    const compiler = new ExtendCompiler({ roots: [EXAMPLES], outDir: out });
    const modules = await compiler.compile('modules');
    expect(modules.errors).toEqual([]);
    expect(modules.entries.map((e) => e.name)).toEqual(['myapp', 'wintools']);
    const myapp = modules.entries[0]!;
    const code = readFileSync(join(out, myapp.path));
    expect(createHash('sha256').update(code).digest('hex')).toBe(myapp.sha256);
    // @brine/extend is inlined and zod is the minion's own: the file imports only Node built-ins.
    expect(code.toString()).not.toMatch(/from ["'](zod|@brine\/extend)["']/);
    expect(code.byteLength).toBeLessThan(20_000);
    (globalThis as Record<symbol, unknown>)[Symbol.for(HOST_ZOD_KEY)] = zod;
    const mod = (await import(join(out, myapp.path))) as { default: { name: string; functions: object } };
    expect(mod.default.name).toBe('myapp');
    expect(Object.keys(mod.default.functions)).toEqual(['greet', 'release', 'uptime']);
  });

  it('reports a source that does not compile and lists the others', async () => {
    const { root, out } = tempRoot();
    mkdirSync(join(root, '_modules'), { recursive: true });
    writeFileSync(join(root, '_modules/good.js'), 'export default { name: "good", functions: {} };\n');
    writeFileSync(join(root, '_modules/broken.ts'), 'export default {{ not typescript\n');
    writeFileSync(join(root, '_modules/notes.txt'), 'not a module\n');
    const got = await new ExtendCompiler({ roots: [root], outDir: out }).compile('modules');
    expect(got.entries.map((e) => e.name)).toEqual(['good']);
    expect(got.errors.map((e) => e.name)).toEqual(['broken']);
    expect(got.errors[0]!.message).toMatch(/broken\.ts/);
  });

  it('compiles a file again only when it changed, and the first root wins a name', async () => {
    const { root, out } = tempRoot();
    const second = `${root}-2`;
    for (const r of [root, second]) mkdirSync(join(r, '_grains'), { recursive: true });
    writeFileSync(join(root, '_grains/g.js'), 'export default { name: "g", grains: () => ({ a: 1 }) };\n');
    writeFileSync(join(second, '_grains/g.js'), 'export default { name: "g", grains: () => ({ a: 2 }) };\n');
    let bundles = 0;
    const compiler = new ExtendCompiler({
      roots: [root, second],
      outDir: out,
      bundle: async (source) => {
        bundles++;
        return readFileSync(source, 'utf8');
      },
    });
    const first = await compiler.compile('grains');
    await compiler.compile('grains');
    expect(bundles).toBe(1);
    expect(readFileSync(join(out, first.entries[0]!.path), 'utf8')).toContain('a: 1');
    writeFileSync(join(root, '_grains/g.js'), 'export default { name: "g", grains: () => ({ a: 333 }) };\n');
    const changed = await compiler.compile('grains');
    expect(bundles).toBe(2);
    expect(changed.entries[0]!.sha256).not.toBe(first.entries[0]!.sha256);
  });

  it('compiles once for calls that arrive while a compile runs', async () => {
    const { root, out } = tempRoot();
    mkdirSync(join(root, '_modules'), { recursive: true });
    writeFileSync(join(root, '_modules/m.js'), 'export default { name: "m", functions: {} };\n');
    let bundles = 0;
    const compiler = new ExtendCompiler({
      roots: [root],
      outDir: out,
      bundle: async (source) => {
        bundles++;
        await new Promise((r) => setTimeout(r, 20));
        return readFileSync(source, 'utf8');
      },
    });
    const all = await Promise.all(Array.from({ length: 10 }, () => compiler.compile('modules')));
    expect(bundles).toBe(1);
    expect(new Set(all.map((c) => c.entries[0]!.sha256)).size).toBe(1);
  });
});
