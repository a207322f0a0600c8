import { describe, expect, it } from 'vitest';
import { createStateRegistry, unknownStateArgs } from './registry.js';

const registry = createStateRegistry();

describe('createStateRegistry', () => {
  it('holds every state function of issue #17', () => {
    const expected = [
      'file.managed', 'file.directory', 'file.absent', 'file.symlink', 'file.append', 'file.replace',
      'file.line', 'file.recurse', 'file.touch', 'file.copy',
      'pkg.installed', 'pkg.latest', 'pkg.removed', 'pkg.purged',
      'service.running', 'service.dead', 'service.enabled', 'service.disabled',
      'cmd.run', 'cmd.script', 'cmd.wait',
      'user.present', 'user.absent', 'group.present', 'group.absent', 'cron.present', 'cron.absent',
      'archive.extracted', 'git.latest', 'module.run',
      'test.nop', 'test.succeed_with_changes', 'test.succeed_without_changes', 'test.fail_without_changes',
      'test.fail_with_changes', 'test.configurable_test_state',
    ]; // prettier-ignore
    expect([...registry.keys()].sort()).toEqual(expected.sort());
  });

  it('gives every state a doc with an SLS example using it', () => {
    for (const [name, fn] of registry) {
      expect(fn.name).toBe(name);
      expect(fn.doc, name).toMatch(
        new RegExp(`SLS Example:\\n\\n[\\s\\S]*\\n {6}${name.replace('.', '\\.')}(:|$)`, 'm'),
      );
    }
  });

  it('gives mod_watch to the states a watch requisite restarts or reruns', () => {
    const watchers = [...registry.values()].filter((s) => s.modWatch).map((s) => s.name);
    expect(watchers.sort()).toEqual(['cmd.run', 'cmd.script', 'cmd.wait', 'service.dead', 'service.running']);
  });

  it('validates name into every schema', () => {
    for (const [name, fn] of registry) {
      expect(fn.args.safeParse({}).success, name).toBe(false);
    }
  });
});

describe('unknownStateArgs', () => {
  it('names arguments a state does not take, but not requisites or Salt global keywords', () => {
    const managed = registry.get('file.managed')!;
    const args = {
      name: '/x',
      mdoe: '0644',
      follow_symlinks: false,
      require: [],
      watch_in: [],
      order: 1,
      mode: '0644',
    };
    expect(unknownStateArgs(managed, args)).toEqual(['mdoe', 'follow_symlinks']);
  });

  it('finds none for states that take any argument', () => {
    expect(unknownStateArgs(registry.get('test.nop')!, { anything: 1 })).toEqual([]);
    expect(unknownStateArgs(registry.get('module.run')!, { 'test.ping': [] })).toEqual([]);
  });
});
