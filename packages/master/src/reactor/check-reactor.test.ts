import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReactorFiles } from './check-reactor.js';

const dir = mkdtempSync(join(tmpdir(), 'brine-check-reactor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe('checkReactorFiles', () => {
  it('passes a file whose template needs the event data, and one that renders', async () => {
    const needsData = file('ok1.sls', "ping:\n  local.test.ping:\n    - tgt: {{ data['id'] }}\n");
    const plain = file('ok2.sls', "ping:\n  local.test.ping:\n    - tgt: '*'\n");
    const call = file('ok3.sls', 'ping:\n  local.test.ping:\n    - tgt: {{ data.id.upper() }}\n');
    expect(await checkReactorFiles([{ 'a/*': [needsData, plain, call] }], { fileRoots: [] })).toEqual([]);
  });

  it('names the file, line and entry of a Jinja syntax error, a YAML error and an unknown form', async () => {
    const jinja = file('bad1.sls', "ping:\n  local.test.ping:\n    - tgt: {{ data['id' }}\n");
    const yaml = file('bad2.sls', 'ping:\n  local.test.ping: [\n');
    const form = file('bad3.sls', "ping:\n  locl.test.ping:\n    - tgt: '*'\n");
    const missing = join(dir, 'nope.sls');
    const problems = await checkReactorFiles([{ 'a/*': [jinja, yaml] }, { 'b/*': [form, missing] }], {
      fileRoots: [],
    });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^reactor\[0\] 'a\/\*': .*bad1\.sls:3/);
    expect(problems[1]).toMatch(/^reactor\[0\] 'a\/\*': .*bad2\.sls:\d/);
    expect(problems[2]).toMatch(/^reactor\[1\] 'b\/\*': .*bad3\.sls: reaction 'ping' unknown form 'locl\.test\.ping'/);
    expect(problems[3]).toMatch(/nope\.sls.*not found/);
  });

  it('names a runner or wheel function reactions cannot call, and passes the ones they can', async () => {
    const typo = file('typo.sls', 'orch:\n  runner.state.orchestrat:\n    - mods: orch.deploy\n');
    const good = file(
      'good.sls',
      'orch:\n  runner.state.orchestrate:\n    - mods: orch.deploy\nok:\n  wheel.key.accept:\n    - match: web1\n',
    );
    const problems = await checkReactorFiles([{ 'a/*': [typo, good] }], { fileRoots: [] });
    expect(problems).toEqual([
      expect.stringMatching(
        /^reactor\[0\] 'a\/\*': .*typo\.sls: reaction 'orch' calls runner\.state\.orchestrat, which/,
      ),
    ]);
  });
});
