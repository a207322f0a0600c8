import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, Cluster, type CliRun } from '@brine/testing';
import { jsonJob } from './cli-helpers.js';

// Two minions that answer and one the master has never heard of, so each format shows a return
// and a non-return from the same real job.
let cluster: Cluster;
const brine = (args: string[], env?: NodeJS.ProcessEnv) => cluster.cli(BIN.brine, args, env ? { env } : {});
const JOB = ['-L', 'o1,o2,ghost', 'cmd.run', 'echo hi; echo there'];
const GHOST = 'Minion did not return. [offline, unknown minion]';
const ESC = '\x1b[';

beforeAll(async () => {
  cluster = await new Cluster({ minions: ['o1', 'o2'] }).start();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('every --out format with a real job', () => {
  it('nested: each id, then its return indented, like Salt', async () => {
    const r = await brine(JOB);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('o1:\n    hi\n    there\n');
    expect(r.stdout).toContain('o2:\n    hi\n    there\n');
    expect(r.stdout).toContain(`ghost:\n    ${GHOST}\n`);
    expect(r.stdout.split('\n')).toHaveLength(9);
  });

  it('json: one document with every minion, the jid and the summary', async () => {
    const r = await brine([...JOB, '--out', 'json']);
    expect(r.code).toBe(2);
    const doc = jsonJob(r);
    expect(doc.jid).toMatch(/^\d{20}$/);
    expect(doc.minions).toEqual({
      o1: { outcome: 'returned', success: true, retcode: 0, ret: 'hi\nthere', durationMs: expect.any(Number) },
      o2: { outcome: 'returned', success: true, retcode: 0, ret: 'hi\nthere', durationMs: expect.any(Number) },
      ghost: { outcome: 'offline', success: false, reason: 'unknown_minion' },
    });
    expect(doc.summary).toMatchObject({ targeted: 3, returned: 2, didNotReturn: 1, failed: 0, success: false });
  });

  it('ndjson: one line per minion as it returns, then the summary', async () => {
    const r = await brine([...JOB, '--out', 'ndjson']);
    expect(r.code).toBe(2);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(
      lines
        .slice(0, 3)
        .map((l) => l['id'])
        .sort(),
    ).toEqual(['ghost', 'o1', 'o2']);
    expect(lines.find((l) => l['id'] === 'o1')).toMatchObject({ outcome: 'returned', ret: 'hi\nthere' });
    expect(lines[3]).toMatchObject({ summary: { targeted: 3, returned: 2 } });
  });

  it('yaml: the json document as YAML, the jid quoted', async () => {
    const r = await brine([...JOB, '--out', 'yaml']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^jid: "\d{20}"\nminions:\n/);
    expect(r.stdout).toContain('  ghost:\n    outcome: offline\n    success: false\n    reason: unknown_minion\n');
    expect(r.stdout).toMatch(
      / {2}o1:\n {4}outcome: returned\n {4}success: true\n {4}retcode: 0\n {4}ret: \|-\n {6}hi\n {6}there\n/,
    );
    expect(r.stdout).toMatch(/\nsummary:\n(.+\n)* {2}targeted: 3\n {2}returned: 2\n/);
  });

  it('txt: "id: line" for each line of a return', async () => {
    const r = await brine([...JOB, '--out', 'txt']);
    expect(r.code).toBe(2);
    expect(r.stdout.trimEnd().split('\n').sort()).toEqual(
      [`ghost: ${GHOST}`, 'o1: hi', 'o1: there', 'o2: hi', 'o2: there'].sort(),
    );
  });

  it('raw: one {"id": return} object a line', async () => {
    const r = await brine([...JOB, '--out', 'raw']);
    expect(r.code).toBe(2);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(expect.arrayContaining([{ o1: 'hi\nthere' }, { o2: 'hi\nthere' }, { ghost: GHOST }]));
  });

  it('table: one aligned row per minion, sorted by id', async () => {
    const r = await brine([...JOB, '--out', 'table']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(
      [
        'ID     OUTCOME   RETCODE  RETURN',
        'ghost  offline   -        offline, unknown minion',
        'o1     returned  0        hi\\nthere',
        'o2     returned  0        hi\\nthere',
        '',
      ].join('\n'),
    );
  });

  it('writes to --out-file instead of stdout', async () => {
    const file = join(cluster.dir, 'job.json');
    const r = await brine([...JOB, '--out', 'json', '--out-file', file]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { minions: Record<string, unknown> };
    expect(Object.keys(doc.minions).sort()).toEqual(['ghost', 'o1', 'o2']);
    const nestedFile = join(cluster.dir, 'job.txt');
    const nested = await brine(['o1', 'test.ping', '--out-file', nestedFile], { NO_COLOR: '', FORCE_COLOR: undefined });
    expect(nested).toMatchObject({ code: 0, stdout: '' });
    expect(readFileSync(nestedFile, 'utf8')).toBe('o1:\n    True\n');
  });
});

describe('flags that shape the output', () => {
  it('prints the jid first with --show-jid, and not without it', async () => {
    const r = await brine(['o1', 'test.ping', '--show-jid']);
    expect(r.stdout).toMatch(/^jid: \d{20}\no1:\n {4}True\n$/);
    const plain = await brine(['o1', 'test.ping']);
    expect(plain.stdout).toBe('o1:\n    True\n');
  });

  it('prints the jid and each reason identifier with -v', async () => {
    const r = await brine([...JOB, '-v']);
    expect(r.stdout).toMatch(/^jid: \d{20}\n/);
    expect(r.stdout).toContain(`ghost:\n    ${GHOST} (unknown_minion)\n`);
  });

  it('hides non-returns with --hide-timeout but still exits 2', async () => {
    const r = await brine([...JOB, '--hide-timeout']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('ghost');
    expect(r.stdout).toContain('o1:\n    hi\n');
    const txt = await brine([...JOB, '--hide-timeout', '--out', 'txt']);
    expect(txt.stdout).not.toContain('ghost');
  });

  it("prints Salt's summary block with --summary", async () => {
    const r = await brine([...JOB, '--summary']);
    expect(r.stdout).toContain(
      [
        '-------------------------------------------',
        'Summary',
        '-------------------------------------------',
        '# of minions targeted: 3',
        '# of minions returned: 2',
        '# of minions that did not return: 1',
        '# of minions with errors: 0',
        '-------------------------------------------',
        '',
      ].join('\n'),
    );
  });

  it('draws no progress bar when stderr is not a terminal, even with -p', async () => {
    const r = await brine(['o*', 'test.ping', '-p', '-b', '1']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('colour', () => {
  const ping = ['o1', 'test.ping'];
  const noEnv = { NO_COLOR: '', FORCE_COLOR: undefined };

  it('is off when stdout is not a terminal', async () => {
    expect((await brine(ping, noEnv)).stdout).not.toContain(ESC);
  });

  it('is on with --force-color, even with NO_COLOR set', async () => {
    const r = await brine([...ping, '--force-color'], { NO_COLOR: '1' });
    expect(r.stdout).toBe(`${ESC}0;36mo1${ESC}0m:\n    ${ESC}1;33mTrue${ESC}0m\n`);
    const run = await cluster.cli(BIN.brineRun, ['manage.up', '--force-color']);
    expect(run.stdout).toContain(ESC);
  });

  it('is on with FORCE_COLOR, and NO_COLOR wins over it', async () => {
    expect((await brine(ping, { NO_COLOR: undefined, FORCE_COLOR: '1' })).stdout).toContain(ESC);
    expect((await brine(ping, { NO_COLOR: '', FORCE_COLOR: '' })).stdout).toContain(ESC);
    expect((await brine(ping, { NO_COLOR: '1', FORCE_COLOR: '1' })).stdout).not.toContain(ESC);
  });

  it('is off with --no-color, even with FORCE_COLOR', async () => {
    expect((await brine([...ping, '--no-color'], { NO_COLOR: undefined, FORCE_COLOR: '1' })).stdout).toBe(
      'o1:\n    True\n',
    );
  });
});

describe('exit codes', () => {
  it('exits 0 when every minion succeeds', async () => {
    expect((await brine(['-L', 'o1,o2', 'test.ping'])).code).toBe(0);
  });

  it('exits 1 when a minion fails, even if another did not return', async () => {
    const failed = await brine(['-L', 'o1,o2', 'cmd.run', 'exit 3']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('ERROR: Minions returned with non-zero exit code\n');
    const both = await brine(['-L', 'o1,ghost', 'cmd.run', 'exit 3']);
    expect(both.code).toBe(1);
  });

  it('exits 2 when a minion does not return', async () => {
    expect((await brine(['-L', 'o1,ghost', 'test.ping'])).code).toBe(2);
  });

  it('exits 3 when no minion matches', async () => {
    const r = await brine(['nomatch*', 'test.ping']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('No minions matched the target');
  });

  it.each([
    [['o1', 'test.ping', '-t', 'soon'], '--timeout'],
    [['o1', 'test.ping', '-t', '0'], '--timeout'],
    [['o1', 'test.ping', '--out', 'xml'], 'xml'],
    [['-L', '-E', 'o1', 'test.ping'], 'at most one target flag'],
    [['o1', 'test.ping', '-b', '0'], '--batch'],
    [['o1', 'test.ping', '-b', '101%'], '--batch'],
    [['o1', 'test.ping', '--first', '0'], '--first'],
    [['o1', 'test.ping', '--batch-wait', 'later'], '--batch-wait'],
    [['o1', 'test.ping', '--retries', '-1'], '--retries'],
    [['o1', 'test.ping', '--retry-delay', 'x'], '--retry-delay'],
    [['o1'], 'missing the function'],
    [['o1', 'test.ping', '--bogus'], '--bogus'],
    [['o1', 'test.arg', '__proto__=1'], '__proto__'],
    [[], 'target'],
  ])('exits 64 and names the problem for brine %j', async (args, named) => {
    const r = await brine(args);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(named);
    expect(r.stdout).toBe('');
  });

  it('exits 64 for a bad value in the other commands', async () => {
    const runs = await Promise.all([
      cluster.cli(BIN.brineRun, ['manage.up', '--out', 'yaml']),
      cluster.cli(BIN.brineRun, ['jobs.nope']),
      cluster.cli(BIN.brineRun, ['jobs.lookup']),
      cluster.cli(BIN.brineKey, ['-L', '--out', 'yaml']),
      cluster.cli(BIN.brineCall, ['--local', 'test.ping', '--out', 'xml']),
      cluster.cli(BIN.brine, ['events', '--count', 'many']),
      cluster.cli(BIN.brine, ['completion', 'fish']),
    ]);
    for (const r of runs) expect({ code: r.code, stderr: r.stderr.length > 0 }).toEqual({ code: 64, stderr: true });
  });

  it('exits 69 when the master cannot be reached, from every command', async () => {
    const env = { BRINE_URL: 'http://127.0.0.1:9' };
    const runs = await Promise.all([
      brine(['o1', 'test.ping'], env),
      brine(['o1', '--preview'], env),
      brine(['events', '--count', '1'], env),
      cluster.cli(BIN.brineRun, ['manage.up'], { env }),
      cluster.cli(BIN.brineKey, ['-L'], { env }),
      cluster.cli(BIN.brineCall, ['--id', 'o1', 'test.ping'], { env }),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(69);
      expect(r.stderr).toContain('cannot reach the master at http://127.0.0.1:9');
    }
  });

  it('exits 77 with a wrong token, from every command', async () => {
    const env = { BRINE_TOKEN: 'wrong' };
    const runs = await Promise.all([
      brine(['o1', 'test.ping'], env),
      brine(['events', '--count', '1'], env),
      cluster.cli(BIN.brineRun, ['manage.up'], { env }),
      cluster.cli(BIN.brineKey, ['-L'], { env }),
      cluster.cli(BIN.brineCall, ['--id', 'o1', 'test.ping'], { env }),
    ]);
    for (const r of runs) expect(r.code).toBe(77);
  });

  it('exits 77 when no credentials are found at all', async () => {
    const r = await brine(['o1', 'test.ping'], {
      BRINE_URL: '',
      BRINE_TOKEN: '',
      BRINE_CONFIG: join(cluster.dir, 'none.json'),
      BRINE_MASTER_DIR: join(cluster.dir, 'none'),
    });
    expect(r.code).toBe(77);
    expect(r.stderr).toContain('BRINE_URL');
  });
});

describe('--help', () => {
  const cases: [string, string, string[]][] = [
    ['brine', BIN.brine, []],
    ['brine events', BIN.brine, ['events']],
    ['brine completion', BIN.brine, ['completion']],
    ['brine-key', BIN.brineKey, []],
    ['brine-run', BIN.brineRun, []],
    ['brine-call', BIN.brineCall, []],
  ];
  it.each(cases)('%s --help exits 0 and shows usage and examples', async (name, bin, pre) => {
    const r: CliRun = await cluster.cli(bin, [...pre, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: ${name} `);
    expect(r.stdout).toMatch(/\nExamples:\n {2}\S/);
  });
});
