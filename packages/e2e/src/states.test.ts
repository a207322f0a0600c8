import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, REPO_ROOT, waitFor, type CliRun } from '@brine/testing';

// Issue #17, end to end: a real master serving examples/states to two real minions.
const IDS = ['st-a', 'st-b'];
// CI runs as root without systemd: the webapp service runs as a System V init script the test
// installs, as the service-state tests do. Elsewhere the tree is applied without the service.
const canSysv =
  process.getuid?.() === 0 && existsSync('/usr/sbin/update-rc.d') && existsSync('/usr/sbin/start-stop-daemon');
const MODS = canSysv ? 'motd,webapp.tuned' : 'motd,webapp.config';

let cluster: Cluster;
let base: string;
let roots: string;
let target: string;

const service = (id: string) => `brine-webapp-${id}`;
const serviceLog = (id: string) => join(base, `${service(id)}.log`);

function initScript(name: string, log: string): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Required-Start:    $local_fs
# Required-Stop:     $local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Brine states e2e service
### END INIT INFO
PIDFILE=/run/${name}.pid
case "$1" in
  start)
    start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --exec /usr/bin/sleep -- 100000
    i=0; while [ ! -s $PIDFILE ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
    echo start >> ${log} ;;
  stop) start-stop-daemon --stop --quiet --pidfile $PIDFILE --remove-pidfile --retry 5 ; echo stop >> ${log} ;;
  restart) echo restart >> ${log}; "$0" stop >/dev/null; "$0" start ;;
  status) start-stop-daemon --status --pidfile $PIDFILE ;;
  *) exit 2 ;;
esac
`;
}

/** Bad input, each wrong only on st-a, so st-b's run shows it is unaffected. */
const BROKEN: Record<string, { sls: string; expect: RegExp }> = {
  yaml: {
    sls: "{% if grains['id'] == 'st-a' %}\nbad: [\n  - x\n{% endif %}\nok:\n  test.nop: []\n",
    expect: /yaml\.sls:\d+/,
  },
  jinja: {
    sls: "ok:\n  test.nop:\n    - name: {{ nope.missing if grains['id'] == 'st-a' else 'fine' }}\n",
    expect: /jinja\.sls:3/,
  },
  unknown: {
    sls: "ok:\n  {{ 'file.managedd' if grains['id'] == 'st-a' else 'test.nop' }}:\n    - name: /tmp/x\n",
    expect: /unknown\.sls:1/,
  },
  argument: {
    sls: "ok:\n  file.managed:\n    - name: {{ 'relative/path' if grains['id'] == 'st-a' else opts.cachedir ~ '/ok' }}\n    - replace: false\n",
    expect: /argument\.sls:1/,
  },
  cycle: {
    sls: "a:\n  test.nop:\n    - require:\n      - test: {{ 'b' if grains['id'] == 'st-a' else 'c' }}\nb:\n  test.nop:\n    - require:\n      - test: a\nc:\n  test.nop: []\n",
    expect: /cycle\.sls:\d+/,
  },
};

type StateRet = Record<string, { result: boolean | null; changes: Record<string, unknown>; comment: string }>;
interface JobDoc {
  jid: string;
  minions: Record<string, { ret: unknown; success: boolean; retcode: number }>;
}

const pillar = () => JSON.stringify({ webapp: { root: target } });
const apply = (extra: string[] = []): Promise<CliRun> =>
  cluster.cli(BIN.brine, ['st-*', 'state.apply', MODS, `pillar=${pillar()}`, '--out', 'json', ...extra], {
    timeoutMs: 180_000,
  });
/** The states a test run says would change: `None`, or changes (as Salt's cmd.run, a `None` may list none). */
const wouldChange = (ret: unknown): string[] =>
  Object.entries(ret as StateRet)
    .filter(([, r]) => r.result === null || Object.keys(r.changes).length > 0)
    .map(([k]) => k)
    .sort();
const changed = (ret: unknown): string[] =>
  Object.entries(ret as StateRet)
    .filter(([, r]) => Object.keys(r.changes).length > 0)
    .map(([k]) => k)
    .sort();

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'brine-states-e2e-'));
  roots = join(base, 'srv');
  target = join(base, 'target');
  cpSync(join(REPO_ROOT, 'examples/states'), roots, { recursive: true });
  mkdirSync(join(roots, 'broken'));
  for (const [name, b] of Object.entries(BROKEN)) writeFileSync(join(roots, 'broken', `${name}.sls`), b.sls);
  if (canSysv) {
    for (const id of IDS)
      writeFileSync(`/etc/init.d/${service(id)}`, initScript(service(id), serviceLog(id)), { mode: 0o755 });
  }
  cluster = await new Cluster({ minions: IDS, master: { file_roots: [roots] } }).start();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (canSysv) {
    for (const id of IDS) {
      const name = service(id);
      execFileSync('sh', [
        '-c',
        `/etc/init.d/${name} stop >/dev/null 2>&1; update-rc.d -f ${name} remove >/dev/null 2>&1; true`,
      ]);
      rmSync(`/etc/init.d/${name}`, { force: true });
    }
  }
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('state.apply through the master', () => {
  it('predicts with test=True exactly what the first run changes, and the second run changes nothing', async () => {
    const predicted = await apply(['test=True']);
    expect(predicted.code).toBe(0);
    const test = JSON.parse(predicted.stdout) as JobDoc;
    const first = await apply();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const real = JSON.parse(first.stdout) as JobDoc;
    for (const id of IDS) {
      const ret = real.minions[id]!.ret as StateRet;
      expect(Object.values(ret).every((r) => r.result === true)).toBe(true);
      expect(changed(ret).length).toBeGreaterThan(3);
      expect(wouldChange(test.minions[id]!.ret), JSON.stringify(ret)).toEqual(changed(ret));
      if (canSysv) expect(changed(ret).some((k) => k.startsWith('service_|-webapp-service'))).toBe(true);
      expect(readFileSync(join(target, id, 'etc/webapp/app.conf'), 'utf8')).toContain(`node = ${id}`);
    }
    const second = await apply();
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout) as JobDoc;
    for (const id of IDS) expect(changed(again.minions[id]!.ret)).toEqual([]);
    // The stored return prints with the highstate outputter.
    const lookup = await cluster.cli(BIN.brineRun, ['jobs.lookup', real.jid]);
    expect(lookup.stdout).toContain('    Function: file.managed');
    expect(lookup.stdout).toMatch(/Summary for st-a\n-+\nSucceeded: \d+ \(changed=\d+\)/);
  });

  it.runIf(canSysv)('restarts the watched service when its config changes', async () => {
    const before = readFileSync(serviceLog('st-a'), 'utf8');
    const run = await cluster.cli(
      BIN.brine,
      [
        'st-a',
        'state.apply',
        MODS,
        `pillar=${JSON.stringify({ webapp: { root: target, port: 9090 } })}`,
        '--out',
        'json',
      ],
      { timeoutMs: 180_000 },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(readFileSync(serviceLog('st-a'), 'utf8').slice(before.length)).toContain('restart');
    // Back to the first config, so the other tests see an idempotent tree.
    expect((await apply()).code).toBe(0);
  });

  it('shows each state on the bus and on the CLI before the job ends', async () => {
    const events: { tag: string }[] = [];
    const watcher: ChildProcess = spawn(process.execPath, [BIN.brine, 'events', 'brine/job/*', '--json'], {
      env: cluster.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    watcher.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buf.slice(0, nl)) as { tag: string });
        buf = buf.slice(nl + 1);
      }
    });
    try {
      // The watcher is subscribed once it sees a job: a ping first.
      await waitFor(
        async () => {
          await cluster.cli(BIN.brine, ['st-a', 'test.ping']);
          return events.some((e) => e.tag.endsWith('/ret/st-a'));
        },
        30_000,
        'the event watcher',
      );
      const run = await cluster.cli(BIN.brine, ['st-*', 'state.apply', MODS, `pillar=${pillar()}`, 'test=True'], {
        timeoutMs: 180_000,
      });
      expect(run.code, run.stderr).toBe(0);
      // Live lines (`id | Name: ...`) come before the highstate blocks.
      expect(run.stdout).toMatch(/^st-[ab] \| Name: .* - Function: file\.managed/m);
      expect(run.stdout).toContain('Summary for st-a');
      const prog = await waitFor(() => events.find((e) => /^brine\/job\/\d+\/prog\/st-a$/.test(e.tag)), 30_000, 'prog');
      const jid = prog.tag.split('/')[2]!;
      const at = (tag: string) => events.findIndex((e) => e.tag === tag);
      await waitFor(() => at(`brine/job/${jid}/done`) >= 0, 30_000, 'the done event');
      expect(events.indexOf(prog)).toBeLessThan(at(`brine/job/${jid}/ret/st-a`));
      expect(events.indexOf(prog)).toBeLessThan(at(`brine/job/${jid}/done`));
    } finally {
      watcher.kill();
    }
  });

  it.each(Object.keys(BROKEN))('fails %s input on one minion with file:line, the other unaffected', async (name) => {
    const run = await cluster.cli(BIN.brine, ['st-*', 'state.apply', `broken.${name}`, '--out', 'json'], {
      timeoutMs: 120_000,
    });
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as JobDoc;
    const a = doc.minions['st-a']!;
    expect(a.success).toBe(false);
    const text = Array.isArray(a.ret)
      ? (a.ret as string[]).join('\n')
      : Object.values(a.ret as StateRet)
          .map((r) => r.comment)
          .join('\n');
    expect(text).toMatch(BROKEN[name]!.expect);
    expect(doc.minions['st-b']!.success).toBe(true);
  });
});

describe('brine-call --local state.apply', () => {
  it('applies the same tree from a local file root, then changes nothing', async () => {
    const local = join(base, 'local');
    const call = (extra: string[] = []) =>
      cluster.cli(
        BIN.brineCall,
        [
          '--local',
          '--id',
          'st-local',
          '--state-dir',
          join(local, 'state'),
          '--file-root',
          roots,
          'state.apply',
          'motd,webapp.config',
          `pillar=${JSON.stringify({ webapp: { root: join(local, 'root') } })}`,
          '--out',
          'json',
          ...extra,
        ],
        { timeoutMs: 120_000 },
      );
    const first = await call();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const doc = JSON.parse(first.stdout) as JobDoc;
    expect(changed(doc.minions['st-local']!.ret).length).toBe(5);
    expect(readFileSync(join(local, 'root/st-local/etc/motd'), 'utf8')).toContain('st-local');
    const second = JSON.parse((await call()).stdout) as JobDoc;
    expect(changed(second.minions['st-local']!.ret)).toEqual([]);
  });
});
