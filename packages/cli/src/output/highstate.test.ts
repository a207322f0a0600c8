import type { JobStreamEvent } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { createOutputter, defaultFormat, writeEvent, type OutputOptions } from './outputter.js';

const jid = '20250101120000123456';
const ret = {
  'file_|-motd_|-/etc/motd_|-managed': {
    __id__: 'motd',
    __run_num__: 0,
    name: '/etc/motd',
    result: true,
    comment: 'File /etc/motd updated',
    changes: { diff: '--- \n+++ \n@@ -1 +1 @@\n-old\n+new\n' },
    start_time: '12:00:00.000000',
    duration: 12.5,
  },
  'pkg_|-vim_|-vim_|-installed': {
    __id__: 'vim',
    __run_num__: 1,
    name: 'vim',
    result: true,
    comment: 'All specified packages are already installed',
    changes: {},
    start_time: '12:00:00.013000',
    duration: 3,
  },
  'service_|-web_|-nginx_|-running': {
    __id__: 'web',
    __run_num__: 2,
    name: 'nginx',
    result: false,
    comment: 'One or more requisite failed: web.conf',
    changes: {},
    start_time: '12:00:00.016000',
    duration: 0,
  },
};

function render(events: JobStreamEvent[], extra: Partial<OutputOptions> = {}): string {
  let text = '';
  const out = createOutputter('highstate', {
    color: false,
    verbose: false,
    hideTimeout: false,
    showJid: false,
    summary: false,
    out: { write: (s) => (text += s) },
    ...extra,
  });
  for (const e of events) writeEvent(out, e);
  return text;
}

const result = (r: unknown, success = false): JobStreamEvent => ({
  type: 'minion.result',
  jid,
  result: { id: 'web1', outcome: 'returned', success, retcode: success ? 0 : 2, ret: r },
});

describe('the highstate outputter', () => {
  it('prints each state in run order with its diff, then the summary', () => {
    const text = render([result(ret)]);
    expect(text).toContain(
      [
        '          ID: motd',
        '    Function: file.managed',
        '        Name: /etc/motd',
        '      Result: True',
        '     Comment: File /etc/motd updated',
        '     Started: 12:00:00.000000',
        '    Duration: 12.500 ms',
        '     Changes:   ',
        '              ----------',
        '              diff:',
        '                  --- ',
        '                  +++ ',
        '                  @@ -1 +1 @@',
        '                  -old',
        '                  +new',
      ].join('\n'),
    );
    expect(text.indexOf('ID: motd')).toBeLessThan(text.indexOf('ID: vim'));
    expect(text).toContain('      Result: False');
    expect(text).toContain(
      [
        'Summary for web1',
        '------------',
        'Succeeded: 2 (changed=1)',
        'Failed:    1',
        '------------',
        'Total states run:     3',
        'Total run time:  15.500 ms',
      ].join('\n'),
    );
  });

  it('prints terse lines, and full blocks only where mixed and changes ask for them', () => {
    const terse = render([result(ret)], { stateOutput: 'terse' });
    expect(terse).toContain('  Name: /etc/motd - Function: file.managed - Result: Changed - Started: 12:00:00.000000');
    expect(terse).toContain('  Name: nginx - Function: service.running - Result: Failed');
    expect(terse).not.toContain('ID:');
    const mixed = render([result(ret)], { stateOutput: 'mixed' });
    expect(mixed).toContain('          ID: web');
    expect(mixed).not.toContain('          ID: motd');
    const changes = render([result(ret)], { stateOutput: 'changes' });
    expect(changes).toContain('          ID: motd');
    expect(changes).toContain('  Name: vim - Function: pkg.installed - Result: Clean');
  });

  it('leaves out states that held without change under --state-verbose=false', () => {
    const text = render([result(ret)], { stateVerbose: false });
    expect(text).not.toContain('ID: vim');
    expect(text).toContain('ID: motd');
    expect(text).toContain('Total states run:     3');
  });

  it("prints a compile failure as Salt's 'Data failed to compile'", () => {
    const text = render([result(["Jinja error in app/init.sls:3: undefined variable 'nope'"])]);
    expect(text).toBe(
      "web1:\n    Data failed to compile:\n----------\n    Jinja error in app/init.sls:3: undefined variable 'nope'\n",
    );
  });

  it('prints state results that arrive as progress as terse lines with the minion id', () => {
    const text = render([
      {
        type: 'minion.progress',
        jid,
        id: 'web1',
        stream: 'state',
        data: JSON.stringify({ key: 'pkg_|-vim_|-vim_|-installed', result: ret['pkg_|-vim_|-vim_|-installed'] }),
      },
    ]);
    expect(text).toBe(
      'web1 | Name: vim - Function: pkg.installed - Result: Clean - Started: 12:00:00.013000 - Duration: 3.000 ms\n',
    );
  });

  it('is the default for state runs and not for the show functions', () => {
    expect(defaultFormat('state.apply')).toBe('highstate');
    expect(defaultFormat('state.single')).toBe('highstate');
    expect(defaultFormat('state.show_sls')).toBe('nested');
    expect(defaultFormat('test.ping')).toBe('nested');
  });
});
