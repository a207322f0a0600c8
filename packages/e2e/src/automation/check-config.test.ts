/** `brine-master --check-config` refuses a bad reactor SLS and a bad cron expression with their location. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '@brine/testing';

const dir = mkdtempSync(join(tmpdir(), 'brine-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(yaml: string) {
  const file = join(dir, 'master.yaml');
  writeFileSync(file, `state_dir: ${join(dir, 'state')}\n${yaml}`);
  return spawnSync(process.execPath, [BIN.master, '--config', file, '--check-config'], { encoding: 'utf8' });
}

describe('brine-master --check-config', () => {
  it('refuses a reactor SLS with a Jinja error or a runner reactions cannot call, naming the file', () => {
    const sls = join(dir, 'new.sls');
    writeFileSync(sls, "ping:\n  local.test.ping:\n    - tgt: {{ data['id' }}\n");
    const orch = join(dir, 'orch.sls');
    writeFileSync(orch, 'deploy:\n  runner.state.orchestrat:\n    - mods: orch.deploy\n');
    const r = check(`reactor:\n  - 'brine/minion/*/connected': [${sls}]\n  - 'myapp/*': [${orch}]\n`);
    expect(r.status).toBe(78);
    expect(r.stderr).toContain(`reactor[0] 'brine/minion/*/connected': Jinja error in ${sls}:3`);
    expect(r.stderr).toContain(`reactor[1] 'myapp/*': ${orch}: reaction 'deploy' calls runner.state.orchestrat`);
  });

  it('refuses an invalid cron expression, naming the schedule', () => {
    const r = check("schedule:\n  nightly:\n    function: test.ping\n    cron: '0 3 * * 8'\n");
    expect(r.status).toBe(78);
    expect(r.stderr).toMatch(/schedule\.nightly\.cron: invalid cron expression/);
  });

  it('accepts a good one', () => {
    const sls = join(dir, 'ok.sls');
    writeFileSync(sls, "ping:\n  local.test.ping:\n    - tgt: {{ data['id'] }}\n");
    const r = check(
      `reactor:\n  - 'brine/minion/*/connected': [${sls}]\nschedule:\n  h:\n    function: test.ping\n    cron: '0 * * * *'\n`,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
