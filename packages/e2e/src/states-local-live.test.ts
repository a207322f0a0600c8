import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, waitFor } from '@brine/testing';

// Issue #17: `brine-call --local state.apply` shows each state's result as it ends, as `brine`
// does through a master. The second state waits for a file that the test writes only once the
// first state's line is on stdout, so that line cannot have come from the end of the run.
let base: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'brine-local-live-'));
  mkdirSync(join(base, 'srv'));
  // The loop gives up after about 60 s, so a broken test cannot leave the call running.
  const wait = `i=0; while [ ! -e ${join(base, 'go')} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; test -e ${join(base, 'go')}`;
  writeFileSync(
    join(base, 'srv/live.sls'),
    `first:\n  test.succeed_without_changes: []\nwait-for-go:\n  cmd.run:\n    - name: '${wait}'\n`,
  );
  // `brine-call --local` runs the minion in its own process when BRINE_MINION_BIN names one.
  writeFileSync(join(base, 'brine-minion'), `#!/bin/sh\nexec "${process.execPath}" "${BIN.minion}" "$@"\n`, {
    mode: 0o755,
  });
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

/** Starts `brine-call --local state.apply live`; `stdout()` is what it printed so far. */
function startCall(extra: string[], env: NodeJS.ProcessEnv = {}) {
  rmSync(join(base, 'go'), { force: true });
  const args = ['--local', '--id', 'live', '--state-dir', join(base, 'state'), '--file-root', join(base, 'srv')];
  const child = spawn(process.execPath, [BIN.brineCall, ...args, 'state.apply', 'live', '--no-color', ...extra], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let exited = false;
  void exit.then(() => (exited = true));
  return { stdout: () => out, stderr: () => err, exit, exited: () => exited };
}

describe('brine-call --local live state results', () => {
  it.each([
    ['in its own process', {}],
    ['through brine-minion call', { BRINE_MINION_BIN: 'brine-minion' }],
  ])(
    'prints a state as it ends, before the run ends (%s)',
    async (_how, env) => {
      const bin = 'BRINE_MINION_BIN' in env ? { BRINE_MINION_BIN: join(base, 'brine-minion') } : {};
      const call = startCall([], bin);
      await waitFor(() => /live \| Name: first - Function: test\.succeed_without_changes/.test(call.stdout()), 60_000);
      // The run is still waiting for `go`: the line came while it ran.
      expect(call.exited()).toBe(false);
      expect(call.stdout()).not.toContain('wait-for-go');
      writeFileSync(join(base, 'go'), '');
      expect(await call.exit, call.stderr()).toBe(0);
      const out = call.stdout();
      expect(out).toMatch(/live \| Name: i=0.* - Function: cmd\.run - Result: Changed/);
      // Then the whole highstate, as before.
      expect(out).toMatch(/ID: wait-for-go/);
      expect(out).toMatch(/Succeeded: 2 \(changed=1\)/);
    },
    90_000,
  );

  it('prints only the JSON document with --out json', async () => {
    const call = startCall(['--out', 'json']);
    writeFileSync(join(base, 'go'), '');
    expect(await call.exit, call.stderr()).toBe(0);
    const doc = JSON.parse(call.stdout()) as { minions: Record<string, { ret: Record<string, unknown> }> };
    expect(Object.keys(doc.minions['live']!.ret)).toHaveLength(2);
    expect(existsSync(join(base, 'go'))).toBe(true);
  }, 90_000);
});
