import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster } from '@brine/testing';

let cluster: Cluster;
let roots: string;
let dest: string;

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'brine-fileroots-'));
  roots = join(base, 'srv');
  dest = join(base, 'dest');
  mkdirSync(join(roots, 'scripts'), { recursive: true });
  mkdirSync(join(roots, 'web/static'), { recursive: true });
  writeFileSync(join(roots, 'motd'), 'Welcome to Brine\n');
  writeFileSync(join(roots, 'web/static/index.html'), '<h1>hi</h1>\n');
  writeFileSync(join(roots, 'web/static/app.js'), 'console.log(1)\n');
  writeFileSync(join(roots, 'scripts/hello.sh'), '#!/bin/sh\necho "hello $1 from script"\n');
  writeFileSync(join(base, 'secret'), 'do not serve');
  symlinkSync(join(base, 'secret'), join(roots, 'escape'));
  cluster = await new Cluster({ minions: ['files-a'], master: { file_roots: [roots] } }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe("the master's file server, through cp.* and cmd.script", () => {
  it('copies a file with cp.get_file, hash-checked', async () => {
    const target = join(dest, 'motd');
    const run = await cluster.cli(BIN.brine, ['files-a', 'cp.get_file', 'brine://motd', target]);
    expect(run.code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('Welcome to Brine\n');
  });

  it('copies a directory with cp.get_dir', async () => {
    const run = await cluster.cli(BIN.brine, ['files-a', 'cp.get_dir', 'brine://web/static', join(dest, 'www')]);
    expect(run.code).toBe(0);
    expect(readFileSync(join(dest, 'www/static/index.html'), 'utf8')).toBe('<h1>hi</h1>\n');
    expect(existsSync(join(dest, 'www/static/app.js'))).toBe(true);
  });

  it('lists the file roots with cp.list_master, without links that leave them', async () => {
    const run = await cluster.cli(BIN.brine, ['files-a', 'cp.list_master', '--out', 'json']);
    const doc = JSON.parse(run.stdout) as { minions: Record<string, { ret: string[] }> };
    expect(doc.minions['files-a']!.ret).toEqual([
      'motd',
      'scripts/hello.sh',
      'web/static/app.js',
      'web/static/index.html',
    ]);
  });

  it('runs a script from the file server with cmd.script', async () => {
    const run = await cluster.cli(BIN.brine, [
      'files-a',
      'cmd.script',
      'brine://scripts/hello.sh',
      'world',
      '--out',
      'json',
    ]);
    const doc = JSON.parse(run.stdout) as { minions: Record<string, { ret: { stdout: string } }> };
    expect(doc.minions['files-a']!.ret.stdout).toContain('hello world from script');
  });

  it.each(['brine://../secret', 'brine://escape', 'brine:///etc/passwd'])(
    'refuses %s and writes nothing',
    async (source) => {
      const target = join(dest, 'refused', source.replace(/\W/g, '_'));
      const run = await cluster.cli(BIN.brine, ['files-a', 'cp.get_file', source, target]);
      expect(run.code).toBe(1);
      expect(existsSync(target)).toBe(false);
    },
  );
});
