/**
 * Issue #18, end to end: `brine-run state.orchestrate` on a real master with two real minions,
 * an orchestration in the style of Salt's docs (a highstate on one group, then a command on
 * another that requires it, an event to wait for, a failing step and its skipped dependants).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster } from '@brine/testing';

const WEB = 'orch-web';
const DB = 'orch-db';
const MASTER = `${hostname()}_master`;
let cluster: Cluster;
let base: string;
let out: string;

type Step = { __id__: string; result: boolean | null; comment: string; changes: Record<string, unknown> };
interface Answer {
  outputter: string;
  data: Record<string, Record<string, Step>>;
  retcode: number;
  jid: string;
}
const byId = (a: Answer) => Object.fromEntries(Object.values(a.data[MASTER]!).map((s) => [s.__id__, s]));

const DEPLOY = `
deploy_web:
  salt.state:
    - tgt: ${WEB}
    - highstate: True

migrate_db:
  salt.function:
    - name: cmd.run
    - tgt: ${DB}
    - arg:
      - echo migrated
    - require:
      - salt: deploy_web

wait_ready:
  salt.wait_for_event:
    - name: brine/minion/*/orch/ready
    - id_list:
      - ${WEB}
    - timeout: 60
    - parallel: True
    - require:
      - salt: migrate_db

announce:
  salt.function:
    - name: event.send
    - tgt: ${WEB}
    - arg:
      - orch/ready
    - parallel: True
    - require:
      - salt: migrate_db

broken:
  salt.function:
    - name: nosuch.fun
    - tgt: ${DB}
    - require:
      - salt: wait_ready

after_broken:
  salt.function:
    - name: test.ping
    - tgt: ${DB}
    - require:
      - salt: broken
`;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'brine-orch-e2e-'));
  const roots = join(base, 'srv');
  out = join(base, 'out');
  mkdirSync(join(roots, 'orch'), { recursive: true });
  writeFileSync(join(roots, 'top.sls'), `base:\n  '${WEB}':\n    - app\n`);
  writeFileSync(
    join(roots, 'app.sls'),
    `app_file:\n  file.managed:\n    - name: ${out}/{{ grains['id'] }}.txt\n    - contents: deployed\n    - makedirs: True\n`,
  );
  writeFileSync(join(roots, 'orch', 'deploy.sls'), DEPLOY);
  writeFileSync(join(roots, 'orch', 'db.sls'), `ping_db:\n  salt.function:\n    - name: test.ping\n    - tgt: ${DB}\n`);
  cluster = await new Cluster({
    minions: [WEB, DB],
    master: { file_roots: [roots], users: { webonly: {} }, acl: { webonly: [{ [WEB]: ['test.*'] }] } },
  }).start();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

const orch = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  cluster.cli(BIN.brineRun, ['state.orchestrate', ...args], { timeoutMs: 180_000, env });

describe('brine-run state.orchestrate', () => {
  it('runs nothing under test=True and says what each step would do', async () => {
    const run = await orch(['orch.deploy', 'test=True', '--out', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const steps = byId(JSON.parse(run.stdout) as Answer);
    expect(existsSync(join(out, `${WEB}.txt`))).toBe(false);
    expect(steps['migrate_db']).toMatchObject({
      result: null,
      comment: `Function cmd.run would be executed on target ${DB}`,
    });
    expect(steps['wait_ready']!.result).toBeNull();
  });

  it('runs the steps in order, waits for the event, stops the dependants of a failed step, and exits 1', async () => {
    const run = await orch(['salt://orch/deploy.sls', '--out', 'json']);
    expect(run.code, run.stderr).toBe(1);
    const answer = JSON.parse(run.stdout) as Answer;
    const steps = byId(answer);
    expect(readFileSync(join(out, `${WEB}.txt`), 'utf8')).toBe('deployed\n');
    expect(steps['deploy_web']).toMatchObject({ result: true });
    expect(Object.keys(steps['deploy_web']!.changes)).toEqual([WEB]);
    expect(steps['migrate_db']).toMatchObject({ result: true, changes: { ret: { [DB]: 'migrated' } } });
    expect(steps['wait_ready']).toMatchObject({ result: true, changes: { minions_seen: [WEB] } });
    expect(steps['broken']).toMatchObject({ result: false });
    expect(steps['broken']!.comment).toBe(`Running function nosuch.fun failed on minions: ${DB}`);
    expect(steps['after_broken']!.result).toBe(false);
    expect(steps['after_broken']!.comment).toContain('broken');
    // Live progress on stderr; the last step ends long after the event stream is connected.
    expect(run.stderr).toContain('[orchestrate] after_broken: failed');

    // Stored as a job: jobs.lookup prints it with the highstate outputter.
    const lookup = await cluster.cli(BIN.brineRun, ['jobs.lookup', answer.jid]);
    expect(lookup.stdout).toContain(`${MASTER}:`);
    expect(lookup.stdout).toContain('ID: migrate_db');
    expect(lookup.stdout).toMatch(new RegExp(`Summary for ${MASTER}`));
  }, 200_000);

  it("fails a step the calling user's ACL refuses, naming the refusal", async () => {
    const made = await cluster.api<{ token: string }>('POST', '/api/v1/tokens', { user: 'webonly', ttlSeconds: 600 });
    const run = await orch(['orch.db', '--out', 'json'], { BRINE_TOKEN: made.body.token });
    expect(run.code, run.stderr).toBe(1);
    const step = byId(JSON.parse(run.stdout) as Answer)['ping_db']!;
    expect(step.result).toBe(false);
    expect(step.comment).toMatch(/^ERR_AUTH_FORBIDDEN: /);
  });

  it('shows the high data with state.orchestrate_show_sls', async () => {
    const run = await cluster.cli(BIN.brineRun, ['state.orchestrate_show_sls', 'orch.db', '--out', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)[MASTER]['ping_db']).toMatchObject({ __sls__: 'orch.db' });
  });
});
