import { describe, expect, it } from 'vitest';
import { CliError, CliErrorCode, UsageError, forwardedCode } from './errors.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';

describe("the CLI's errors", () => {
  it('take a code of the table, or a forwarded one, and keep a cause', () => {
    const cause = new Error('EACCES');
    expect(new CliError(CliErrorCode.config, 'x', undefined, { cause })).toMatchObject({
      code: 'ERR_CLI_CONFIG',
      cause,
    });
    expect(new CliError(forwardedCode('ERR_STORE_UNREACHABLE'), 'x').code).toBe('ERR_STORE_UNREACHABLE');
    expect(new UsageError('x').code).toBe('ERR_CLI_USAGE');
  });

  it('refuse a code outside the tables (type-checked)', () => {
    // @ts-expect-error a code that is in no table and not marked as forwarded
    expect(new CliError('ERR_NOT_IN_THE_TABLE', 'x').code).toBe('ERR_NOT_IN_THE_TABLE');
  });

  it('map the API codes added with the tables to exit codes', () => {
    expect(exitCodeForError('ERR_KEY_EXISTS')).toBe(ExitCode.USAGE);
    expect(exitCodeForError('ERR_NOT_ACCEPTABLE')).toBe(ExitCode.INTERNAL);
  });
});
