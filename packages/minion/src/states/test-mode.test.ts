import { lstat, mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStateRegistry } from './registry.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

const registry = createStateRegistry();

let t: StateTestContext;
let dir: string;
beforeEach(async () => {
  t = await createStateTestContext({ test: true, pillar: { motd: 'hi' } });
  dir = join(t.cacheDir, 'host');
  await mkdir(join(dir, 'tree/sub'), { recursive: true });
  await writeFile(join(dir, 'conf'), 'a=1\n#b=2\n', { mode: 0o600 });
  await writeFile(join(dir, 'tree/sub/f'), 'x');
  await mkdir(join(t.fileRoot, 'site'));
  await writeFile(join(t.fileRoot, 'site/index.html'), 'hi\n');
  await writeFile(join(t.fileRoot, 'app.conf'), 'port 80\n');
});
afterEach(() => t.cleanup());

/** Every path under `root` with its type, mode, and contents or link target. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(root, { recursive: true })) {
    const path = join(root, name);
    const st = await lstat(path);
    const body = st.isSymbolicLink() ? await readlink(path) : st.isFile() ? await readFile(path, 'utf8') : '';
    out[name] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${body}`;
  }
  return out;
}

describe('test mode', () => {
  it('changes nothing on disk for any file state that would change something', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['file.managed', { name: join(dir, 'conf'), source: 'brine://app.conf', mode: '0644' }],
      ['file.managed', { name: join(dir, 'new/motd'), contents_pillar: 'motd', makedirs: true }],
      ['file.directory', { name: join(dir, 'tree'), clean: true, dir_mode: '0700' }],
      ['file.directory', { name: join(dir, 'made'), recurse: ['mode'], file_mode: '0600' }],
      ['file.absent', { name: join(dir, 'tree') }],
      ['file.symlink', { name: join(dir, 'link'), target: '/etc' }],
      ['file.append', { name: join(dir, 'conf'), text: 'c=3' }],
      ['file.replace', { name: join(dir, 'conf'), pattern: '^#b=', repl: 'b=' }],
      ['file.line', { name: join(dir, 'conf'), mode: 'delete', match: '^a=' }],
      ['file.recurse', { name: join(dir, 'www'), source: 'brine://site' }],
      ['file.touch', { name: join(dir, 'stamp') }],
      ['file.copy', { name: join(dir, 'conf.bak'), source: join(dir, 'conf') }],
    ];
    const before = await snapshot(dir);
    for (const [fun, args] of cases) {
      const r = await applyState(registry.get(fun)!, args, t.state);
      expect(r.result, `${fun} ${JSON.stringify(args)}: ${r.comment}`).toBeNull();
      expect(Object.keys(r.changes).length, fun).toBeGreaterThan(0);
    }
    expect(await snapshot(dir)).toEqual(before);
  });
});
