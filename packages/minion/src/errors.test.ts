import { ErrorCode } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { MinionError, MinionErrorCode, forwardedCode } from './errors.js';

describe("the minion's errors", () => {
  it('take a code of a table, or a forwarded one, and keep a cause', () => {
    const cause = new Error('ENOENT');
    expect(new MinionError(MinionErrorCode.config, 'x', undefined, { cause })).toMatchObject({
      code: 'ERR_MINION_CONFIG',
      cause,
    });
    expect(new MinionError(ErrorCode.FUNCTION_UNKNOWN, 'x').toWire()).toEqual({
      code: 'ERR_FUNCTION_UNKNOWN',
      message: 'x',
    });
    expect(new MinionError(forwardedCode('ERR_FROM_THE_MASTER'), 'x').code).toBe('ERR_FROM_THE_MASTER');
  });

  it('refuse a code outside the tables (type-checked)', () => {
    // @ts-expect-error a code that is in no table and not marked as forwarded
    expect(new MinionError('ERR_NOT_IN_THE_TABLE', 'x').code).toBe('ERR_NOT_IN_THE_TABLE');
  });
});
