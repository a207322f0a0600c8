/**
 * Runs the CI script of docs/ci.md, exactly as the page shows it, with bash, curl and jq against a
 * real master and minions, and checks the exit status the page promises for each case.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, REPO_ROOT } from '@brine/testing';

const tools = ['bash', 'curl', 'jq'];
let cluster: Cluster;
let dir: string;
let script: string;
let token: string;

/** The bash block between the ci-script markers of docs/ci.md. */
function ciScript(): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs/ci.md'), 'utf8');
  const m = /<!-- ci-script:start -->\n```bash\n([\s\S]*?)```\n<!-- ci-script:end -->/.exec(doc);
  if (!m) throw new Error('docs/ci.md has no ci-script block');
  return m[1]!;
}

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [script, ...args],
      {
        env: {
          ...process.env,
          BRINE_URL: cluster.endpoints.api,
          BRINE_TOKEN: token,
          BRINE_TIMEOUT_MS: '20000',
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);

describe.skipIf(missing.length > 0)(`docs/ci.md script (needs ${tools.join(', ')})`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brine-ci-'));
    script = join(dir, 'brine-ci-run.sh');
    writeFileSync(script, ciScript(), { mode: 0o755 });
    cluster = await new Cluster({
      minions: ['ci-a', 'ci-b'],
      master: { users: { 'ci-deploy': {} }, acl: { 'ci-deploy': [{ 'ci-*': ['test.*', 'cmd.run'] }] } },
    }).start();
    const made = await cluster.api<{ token: string }>('POST', '/api/v1/tokens', {
      user: 'ci-deploy',
      ttlSeconds: 3600,
    });
    token = made.body.token;
  });
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 and prints every minion when every minion succeeds', async () => {
    const r = await run(['ci-*', 'test.echo', 'hello']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      'ci-a': { outcome: 'returned', success: true, retcode: 0, ret: 'hello', reason: null },
      'ci-b': { outcome: 'returned', success: true, retcode: 0, ret: 'hello', reason: null },
    });
  });

  it('exits 1 when a minion fails', async () => {
    const r = await run(['ci-a', 'cmd.run', 'echo boom; exit 3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/did not succeed: \{.*"failed":1/);
  });

  it('exits 2 when the ACL refuses the job, no minion matches, or the token is bad', async () => {
    expect((await run(['ci-*', 'pkg.install', 'vim'])).code).toBe(2);
    expect((await run(['nomatch*', 'test.ping'])).code).toBe(2);
    const bad = await run(['ci-*', 'test.ping'], { BRINE_TOKEN: 'not-a-token' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ERR_AUTH_REQUIRED');
  });

  it('exits 1 when a targeted minion is offline', async () => {
    await cluster.killMinion('ci-b');
    const r = await run(['ci-*', 'test.ping']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)['ci-b']).toMatchObject({ outcome: 'offline', success: false });
  });
});
