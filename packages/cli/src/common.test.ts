import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ApiCallError } from './client.js';
import { runMain, type Io } from './common.js';
import { ExitCode } from './exit-codes.js';

function failing(err: Error): { program: Command; io: Io; stderr: () => string } {
  let stderr = '';
  const io: Io = { stdout: { write: () => true }, stderr: { write: (s) => (stderr += s) }, env: {}, exitCode: 0 };
  const program = new Command('brine-run').action(() => {
    throw err;
  });
  return { program, io, stderr: () => stderr };
}

describe('runMain', () => {
  it("exits 64 with the master's message for a 4xx refusal whose code it does not know", async () => {
    const f = failing(
      new ApiCallError(400, { code: 'ERR_SCHEDULE_INVALID', message: 'cron: invalid cron expression' }),
    );
    expect(await runMain(f.program, [], f.io)).toBe(ExitCode.USAGE);
    expect(f.stderr()).toBe('brine-run: cron: invalid cron expression\n');
  });

  it('keeps 70 for an unknown code the master answered with a 5xx, and 77 for a known refusal', async () => {
    const five = failing(new ApiCallError(500, { code: 'ERR_SOMETHING', message: 'boom' }));
    expect(await runMain(five.program, [], five.io)).toBe(ExitCode.INTERNAL);
    const auth = failing(new ApiCallError(403, { code: 'ERR_AUTH_FORBIDDEN', message: 'no' }));
    expect(await runMain(auth.program, [], auth.io)).toBe(ExitCode.AUTH);
  });
});
