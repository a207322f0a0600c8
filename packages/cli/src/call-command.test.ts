import { describe, expect, it } from 'vitest';
import { callProgram } from './call-command.js';
import type { Io } from './common.js';

const io: Io = { env: {}, exitCode: 0, stdout: { write: () => true }, stderr: { write: () => true } } as unknown as Io;

describe('brine-call flags', () => {
  it("accepts salt-call's --retcode-passthrough, which scripts written for Salt pass", () => {
    let seen: Record<string, unknown> | undefined;
    const program = callProgram(io)
      .exitOverride()
      .action((_fun: string, _words: string[], opts: Record<string, unknown>) => void (seen = opts));
    program.parse(['--retcode-passthrough', '--local', 'state.apply', 'test=True'], { from: 'user' });
    expect(seen).toMatchObject({ retcodePassthrough: true, local: true });
  });
});
