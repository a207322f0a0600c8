import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMasterConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'brine-cfg-auto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  const file = join(dir, 'master.yaml');
  writeFileSync(file, yaml);
  return () => loadMasterConfig(file, {});
}

describe('automation config', () => {
  it("reads Salt's reactor list and Brine's longer entry form", () => {
    const c = load(
      "reactor:\n  - 'brine/minion/*/connected': [/srv/reactor/new.sls]\n  - 'brine/beacon/*/inotify/*':\n      sls: [brine://reactor/fix.sls]\n      throttle_ms: 60000\n      key: minion\n",
    )();
    expect(c.reactor).toEqual([
      { 'brine/minion/*/connected': ['/srv/reactor/new.sls'] },
      { 'brine/beacon/*/inotify/*': { sls: ['brine://reactor/fix.sls'], throttle_ms: 60000, key: 'minion' } },
    ]);
  });

  it('rejects an invalid cron expression with the schedule and key that hold it', () => {
    expect(load("schedule:\n  drift:\n    function: test.ping\n    cron: '0 25 * * *'\n")).toThrow(
      /master\.yaml: schedule\.drift\.cron: invalid cron expression: .*hour/,
    );
  });

  it('rejects a schedule with both or neither of cron and an interval', () => {
    expect(load("schedule:\n  a:\n    function: test.ping\n    cron: '0 * * * *'\n    hours: 1\n")).toThrow(
      /schedule\.a: give either cron or an interval/,
    );
    expect(load('schedule:\n  a:\n    function: test.ping\n')).toThrow(/schedule\.a: give either cron/);
  });

  it('rejects a reactor entry with throttle and debounce both', () => {
    expect(load("reactor:\n  - 'a/*': {sls: [/x.sls], throttle_ms: 1, debounce_ms: 1}\n")).toThrow(
      /reactor\.0\.a\/\*: throttle_ms or debounce_ms, not both/,
    );
  });
});
