import type { JobStreamEvent } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createOutputter, writeEvent, type OutputOptions } from './outputter.js';

const jid = '20250101120000123456';
const events: JobStreamEvent[] = [
  { type: 'job.started', jid, fun: 'test.fixture', minions: ['batch1', 'cache1', 'db1', 'web1'] },
  {
    type: 'minion.result',
    jid,
    result: { id: 'db1', outcome: 'returned', success: false, retcode: 1, ret: 'df: /data: No space left on device' },
  },
  {
    type: 'minion.result',
    jid,
    result: {
      id: 'web1',
      outcome: 'returned',
      success: true,
      retcode: 0,
      durationMs: 42,
      ret: {
        os: 'Debian',
        kernel: { release: '6.1.0', smp: true },
        roles: ['web', 'edge'],
        mounts: [{ path: '/', fs: 'ext4' }],
        cpus: 4,
        motd: 'line one\nline two',
        proxy: null,
      },
    },
  },
  { type: 'minion.result', jid, result: { id: 'cache1', outcome: 'offline', success: false, reason: 'not_connected' } },
  {
    type: 'minion.result',
    jid,
    result: { id: 'batch1', outcome: 'timed_out', success: false, reason: 'job_timeout_running', durationMs: 5000 },
  },
  {
    type: 'job.done',
    jid,
    summary: {
      jid,
      fun: 'test.fixture',
      targeted: 4,
      returned: 2,
      succeeded: 1,
      failed: 1,
      didNotReturn: 2,
      success: false,
      durationMs: 5012,
    },
  },
];

/** Runs the fixture job through one format and returns what it wrote, with ANSI codes shown as `<0;36>`. */
function run(format: string, opts: Partial<OutputOptions> = {}, input: JobStreamEvent[] = events): string {
  let written = '';
  const out = { write: (s: string) => void (written += s) };
  const base = { color: false, verbose: false, hideTimeout: false, showJid: false, summary: false, out };
  const outputter = createOutputter(format, { ...base, ...opts });
  for (const e of input) writeEvent(outputter, e);
  // eslint-disable-next-line no-control-regex
  return written.replace(/\x1b\[([\d;]*)m/g, '<$1>');
}

describe('nested', () => {
  it('prints each minion like Salt, with a reason for each non-return', () => {
    expect(run('nested')).toMatchInlineSnapshot(`
      "db1:
          df: /data: No space left on device
      web1:
          ----------
          os:
              Debian
          kernel:
              ----------
              release:
                  6.1.0
              smp:
                  True
          roles:
              - web
              - edge
          mounts:
              |_
                ----------
                path:
                    /
                fs:
                    ext4
          cpus:
              4
          motd:
              line one
              line two
          proxy:
              None
      cache1:
          Minion did not return. [offline]
      batch1:
          Minion did not return. [timed out after 5 s, still running]
      "
    `);
  });

  it('colours ids, keys, values and non-returns', () => {
    expect(run('nested', { color: true })).toMatchInlineSnapshot(`
      "<0;31>db1<0>:
          <0;31>df: /data: No space left on device<0>
      <0;36>web1<0>:
          <0;36>----------<0>
          <0;36>os<0>:
              <0;32>Debian<0>
          <0;36>kernel<0>:
              <0;36>----------<0>
              <0;36>release<0>:
                  <0;32>6.1.0<0>
              <0;36>smp<0>:
                  <1;33>True<0>
          <0;36>roles<0>:
              <0;32>- web<0>
              <0;32>- edge<0>
          <0;36>mounts<0>:
              <0;36>|_<0>
                <0;36>----------<0>
                <0;36>path<0>:
                    <0;32>/<0>
                <0;36>fs<0>:
                    <0;32>ext4<0>
          <0;36>cpus<0>:
              <1;33>4<0>
          <0;36>motd<0>:
              <0;32>line one<0>
              <0;32>line two<0>
          <0;36>proxy<0>:
              <1;33>None<0>
      <0;33>cache1<0>:
          <0;33>Minion did not return. [offline]<0>
      <0;33>batch1<0>:
          <0;33>Minion did not return. [timed out after 5 s, still running]<0>
      "
    `);
  });

  it('prints the jid first and the summary block last', () => {
    expect(run('nested', { showJid: true, summary: true, hideTimeout: true })).toMatchInlineSnapshot(`
      "jid: 20250101120000123456
      db1:
          df: /data: No space left on device
      web1:
          ----------
          os:
              Debian
          kernel:
              ----------
              release:
                  6.1.0
              smp:
                  True
          roles:
              - web
              - edge
          mounts:
              |_
                ----------
                path:
                    /
                fs:
                    ext4
          cpus:
              4
          motd:
              line one
              line two
          proxy:
              None
      -------------------------------------------
      Summary
      -------------------------------------------
      # of minions targeted: 4
      # of minions returned: 2
      # of minions that did not return: 2
      # of minions with errors: 1
      -------------------------------------------
      "
    `);
  });

  it('adds the reason identifier with verbose', () => {
    expect(
      run('nested', { verbose: true })
        .split('\n')
        .filter((l) => l.includes('did not return')),
    ).toMatchInlineSnapshot(`
        [
          "    Minion did not return. [offline] (not_connected)",
          "    Minion did not return. [timed out after 5 s, still running] (job_timeout_running)",
        ]
      `);
  });

  it('writes live output as whole lines prefixed by the minion id', () => {
    const live: JobStreamEvent[] = [
      { type: 'minion.progress', jid, id: 'web1', stream: 'stdout', data: 'step 1\nst' },
      { type: 'minion.progress', jid, id: 'web1', stream: 'stderr', data: 'warn\x1b]0;pwned\x07!\n' },
      { type: 'minion.progress', jid, id: 'web1', stream: 'stdout', data: 'ep 2\npartial' },
      { type: 'minion.result', jid, result: { id: 'web1', outcome: 'returned', success: true, retcode: 0, ret: true } },
    ];
    expect(run('nested', {}, live)).toMatchInlineSnapshot(`
      "web1 | step 1
      web1 ! warn!
      web1 | step 2
      web1 | partial
      web1:
          True
      "
    `);
  });
});

describe('structured formats', () => {
  it('json writes one valid document with every minion, sorted, and the summary', () => {
    const text = run('json', { hideTimeout: true });
    expect(JSON.parse(text)).toMatchObject({ jid, summary: { success: false } });
    expect(text).toMatchInlineSnapshot(`
      "{
        "jid": "20250101120000123456",
        "minions": {
          "batch1": {
            "outcome": "timed_out",
            "success": false,
            "reason": "job_timeout_running",
            "durationMs": 5000
          },
          "cache1": {
            "outcome": "offline",
            "success": false,
            "reason": "not_connected"
          },
          "db1": {
            "outcome": "returned",
            "success": false,
            "retcode": 1,
            "ret": "df: /data: No space left on device"
          },
          "web1": {
            "outcome": "returned",
            "success": true,
            "retcode": 0,
            "ret": {
              "os": "Debian",
              "kernel": {
                "release": "6.1.0",
                "smp": true
              },
              "roles": [
                "web",
                "edge"
              ],
              "mounts": [
                {
                  "path": "/",
                  "fs": "ext4"
                }
              ],
              "cpus": 4,
              "motd": "line one\\nline two",
              "proxy": null
            },
            "durationMs": 42
          }
        },
        "summary": {
          "jid": "20250101120000123456",
          "fun": "test.fixture",
          "targeted": 4,
          "returned": 2,
          "succeeded": 1,
          "failed": 1,
          "didNotReturn": 2,
          "success": false,
          "durationMs": 5012
        }
      }
      "
    `);
  });

  it("json and yaml with --static write Salt's {minion: return}, a non-return as Salt's line", () => {
    const doc = JSON.parse(run('json', { saltStatic: true })) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['batch1', 'cache1', 'db1', 'web1']);
    expect(doc['db1']).toBe('df: /data: No space left on device');
    expect(doc['web1']).toMatchObject({ os: 'Debian', cpus: 4 });
    expect(doc['cache1']).toMatch(/^Minion did not return\./);
    expect(parse(run('yaml', { saltStatic: true }))).toEqual(doc);
  });

  it('yaml writes the same document as YAML', () => {
    expect(run('yaml')).toMatchInlineSnapshot(`
      "jid: "20250101120000123456"
      minions:
        batch1:
          outcome: timed_out
          success: false
          reason: job_timeout_running
          durationMs: 5000
        cache1:
          outcome: offline
          success: false
          reason: not_connected
        db1:
          outcome: returned
          success: false
          retcode: 1
          ret: "df: /data: No space left on device"
        web1:
          outcome: returned
          success: true
          retcode: 0
          ret:
            os: Debian
            kernel:
              release: 6.1.0
              smp: true
            roles:
              - web
              - edge
            mounts:
              - path: /
                fs: ext4
            cpus: 4
            motd: |-
              line one
              line two
            proxy: null
          durationMs: 42
      summary:
        jid: "20250101120000123456"
        fun: test.fixture
        targeted: 4
        returned: 2
        succeeded: 1
        failed: 1
        didNotReturn: 2
        success: false
        durationMs: 5012
      "
    `);
  });

  it('ndjson writes one line per result as it arrives, then the summary', () => {
    const text = run('ndjson');
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toHaveLength(5);
    expect(text).toMatchInlineSnapshot(`
      "{"id":"db1","outcome":"returned","success":false,"retcode":1,"ret":"df: /data: No space left on device"}
      {"id":"web1","outcome":"returned","success":true,"retcode":0,"ret":{"os":"Debian","kernel":{"release":"6.1.0","smp":true},"roles":["web","edge"],"mounts":[{"path":"/","fs":"ext4"}],"cpus":4,"motd":"line one\\nline two","proxy":null},"durationMs":42}
      {"id":"cache1","outcome":"offline","success":false,"reason":"not_connected"}
      {"id":"batch1","outcome":"timed_out","success":false,"reason":"job_timeout_running","durationMs":5000}
      {"summary":{"jid":"20250101120000123456","fun":"test.fixture","targeted":4,"returned":2,"succeeded":1,"failed":1,"didNotReturn":2,"success":false,"durationMs":5012}}
      "
    `);
  });

  it('yaml escapes terminal controls and still reads back', () => {
    const nasty = 'a\x1b[2J\u009b\u2028b';
    const ev: JobStreamEvent[] = [
      {
        type: 'minion.result',
        jid,
        result: { id: 'x', outcome: 'returned', success: true, ret: { [nasty]: [nasty] } },
      },
      events.at(-1)!,
    ];
    const text = run('yaml', {}, ev);
    for (const c of ['\x1b', '\u009b', '\u2028']) expect(text).not.toContain(c);
    expect(parse(text)).toMatchObject({ minions: { x: { ret: { [nasty]: [nasty] } } } });
  });

  it('ndjson writes live output as progress lines', () => {
    const ev: JobStreamEvent[] = [{ type: 'minion.progress', jid, id: 'web1', stream: 'stderr', data: 'oops\n' }];
    expect(run('ndjson', {}, ev)).toBe('{"progress":{"id":"web1","stream":"stderr","data":"oops\\n"}}\n');
  });

  it('json escapes terminal controls that JSON allows raw', () => {
    const ev: JobStreamEvent[] = [
      {
        type: 'minion.result',
        jid,
        result: { id: 'x', outcome: 'returned', success: true, ret: '\x1b[2J\u009b\u2028' },
      },
      events.at(-1)!,
    ];
    const text = run('json', {}, ev);
    for (const c of ['\x1b', '\u009b', '\u2028']) expect(text).not.toContain(c);
    expect((JSON.parse(text) as { minions: { x: { ret: string } } }).minions.x.ret).toBe('\x1b[2J\u009b\u2028');
  });
});

describe('txt, raw and table', () => {
  it('txt prints id: value, one line per line of a string', () => {
    expect(run('txt')).toMatchInlineSnapshot(`
      "db1: df: /data: No space left on device
      web1: {"os":"Debian","kernel":{"release":"6.1.0","smp":true},"roles":["web","edge"],"mounts":[{"path":"/","fs":"ext4"}],"cpus":4,"motd":"line one\\nline two","proxy":null}
      cache1: Minion did not return. [offline]
      batch1: Minion did not return. [timed out after 5 s, still running]
      "
    `);
  });

  it('raw prints one {id: ret} object a line', () => {
    expect(run('raw')).toMatchInlineSnapshot(`
      "{"db1":"df: /data: No space left on device"}
      {"web1":{"os":"Debian","kernel":{"release":"6.1.0","smp":true},"roles":["web","edge"],"mounts":[{"path":"/","fs":"ext4"}],"cpus":4,"motd":"line one\\nline two","proxy":null}}
      {"cache1":"Minion did not return. [offline]"}
      {"batch1":"Minion did not return. [timed out after 5 s, still running]"}
      "
    `);
  });

  it('table aligns the columns and cuts long returns', () => {
    expect(run('table', { columns: 60 })).toMatchInlineSnapshot(`
      "ID      OUTCOME    RETCODE  RETURN
      batch1  timed_out  -        timed out after 5 s, still runn…
      cache1  offline    -        offline
      db1     failed     1        df: /data: No space left on dev…
      web1    returned   0        {"os":"Debian","kernel":{"relea…
      "
    `);
  });

  it('table colours the outcome', () => {
    expect(run('table', { color: true, hideTimeout: true, summary: true })).toMatchInlineSnapshot(`
      "ID    OUTCOME   RETCODE  RETURN
      db1   <0;31>failed<0>    1        df: /data: No space left on device
      web1  <0;32>returned<0>  0        {"os":"Debian","kernel":{"release":"6.1.0","smp":true},"roles":["web","edg…
      -------------------------------------------
      Summary
      -------------------------------------------
      # of minions targeted: 4
      # of minions returned: 2
      # of minions that did not return: 2
      # of minions with errors: 1
      -------------------------------------------
      "
    `);
  });
});

describe('createOutputter', () => {
  it('rejects an unknown format with a usage error naming it', () => {
    expect(() => run('xml')).toThrow(
      expect.objectContaining({ code: 'ERR_CLI_USAGE', message: expect.stringContaining('"xml"') }),
    );
  });
});
