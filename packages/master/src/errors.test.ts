import { ErrorCode } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { ConfigError, MasterError, MasterErrorCode } from './errors.js';
import { HttpError } from './http/shared/errors.js';
import { PillarErrorCode } from './pillar/errors.js';

describe("the master's errors", () => {
  it('take a code of a table and keep the error behind it as cause', () => {
    const cause = new Error('EACCES');
    expect(new ConfigError('bad', { cause })).toMatchObject({ code: MasterErrorCode.config, cause });
    expect(new MasterError(ErrorCode.PILLAR_COMPILE, 'x').code).toBe(PillarErrorCode.COMPILE);
  });

  it('refuse a code outside the tables (type-checked)', () => {
    // @ts-expect-error a code that is in no table
    expect(new MasterError('ERR_NOT_IN_THE_TABLE', 'x').code).toBe('ERR_NOT_IN_THE_TABLE');
    // @ts-expect-error an API answer's code is one of the tables' too
    expect(new HttpError(400, 'ERR_NOT_IN_THE_TABLE', 'x').status).toBe(400);
  });
});
