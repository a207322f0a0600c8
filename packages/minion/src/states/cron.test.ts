import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cronStates, findEntry } from './cron.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

// crontab comes from Debian's cron package (CI installs it); a user crontab needs root.
const canCron = process.getuid?.() === 0 && existsSync('/usr/bin/crontab') && existsSync('/usr/sbin/useradd');
const cron = (n: string) => cronStates.find((s) => s.name === `cron.${n}`)!;

let t: StateTestContext;
let user: string;
beforeEach(async () => {
  t = await createStateTestContext();
  user = `brc${process.pid % 10000}${Math.floor(Math.random() * 1000)}`;
  if (canCron) execFileSync('useradd', ['-M', user]);
});
afterEach(async () => {
  if (canCron) {
    execFileSync('sh', ['-c', `crontab -r -u ${user} 2>/dev/null; userdel ${user}`]);
  }
  await t.cleanup();
});

const tab = (): string => execFileSync('crontab', ['-l', '-u', user], { encoding: 'utf8' });

describe.runIf(canCron)('cron.present and cron.absent with a real crontab', () => {
  it('adds a job, finds it present, updates its schedule in place and removes it', async () => {
    const args = { name: '/usr/local/bin/backup', user, minute: 15, hour: '2' };
    expect(await applyState(cron('present'), args, t.state, { test: true })).toEqual({
      name: args.name,
      result: null,
      comment: `Cron ${args.name} is set to be added`,
      changes: { [user]: args.name },
    });
    expect(await applyState(cron('present'), args, t.state)).toEqual({
      name: args.name,
      result: true,
      comment: `Cron ${args.name} added to ${user}'s crontab`,
      changes: { [user]: args.name },
    });
    expect(tab()).toBe(
      '# Lines below here are managed by Salt, do not edit\n# SALT_CRON_IDENTIFIER:/usr/local/bin/backup\n15 2 * * * /usr/local/bin/backup\n',
    );
    expect(await applyState(cron('present'), args, t.state)).toMatchObject({
      changes: {},
      comment: `Cron ${args.name} already present`,
    });
    expect(await applyState(cron('present'), { ...args, hour: 3 }, t.state)).toMatchObject({
      comment: `Cron ${args.name} updated`,
    });
    expect(tab()).toContain('\n15 3 * * * /usr/local/bin/backup\n');
    expect(tab().match(/backup/g)).toHaveLength(2);
    expect(await applyState(cron('absent'), { name: args.name, user }, t.state)).toMatchObject({
      changes: { [user]: args.name },
      comment: `Cron ${args.name} removed from ${user}'s crontab`,
    });
    expect(tab()).not.toContain('backup');
    expect(await applyState(cron('absent'), { name: args.name, user }, t.state)).toMatchObject({ changes: {} });
  });

  it('keeps lines it does not manage and takes over an untagged line with the same command', async () => {
    execFileSync('crontab', ['-u', user, '-'], { input: 'MAILTO=ops\n0 * * * * /bin/true\n' });
    await applyState(cron('present'), { name: '/bin/true', user, special: '@hourly' }, t.state);
    expect(tab()).toBe('MAILTO=ops\n# SALT_CRON_IDENTIFIER:/bin/true\n@hourly /bin/true\n');
  });
});

describe('findEntry', () => {
  it('finds a tagged entry by identifier and an untagged one by command', () => {
    expect(findEntry(['# x SALT_CRON_IDENTIFIER:job', '* * * * * a'], 'job', 'b')).toEqual({ start: 0, length: 2 });
    expect(findEntry(['@daily b', '1 2 3 4 5 c d'], 'nope', 'c d')).toEqual({ start: 1, length: 1 });
    expect(findEntry(['# c d'], 'nope', 'c d')).toBeUndefined();
  });
});
