import { describe, expect, it } from 'vitest';
import { ApiErrorCode, ErrorCode, ProtocolError } from './errors.js';

describe('ProtocolError', () => {
  it('takes a code of the table and keeps the error behind it as cause', () => {
    const cause = new Error('bytes');
    const err = new ProtocolError(ErrorCode.FRAME_MALFORMED, 'not msgpack', { cause });
    expect(err).toMatchObject({ code: 'ERR_FRAME_MALFORMED', cause });
    expect(err.toWire()).toEqual({ code: 'ERR_FRAME_MALFORMED', message: 'not msgpack' });
  });

  it('refuses a code outside the table (type-checked)', () => {
    // @ts-expect-error a code that is in no table
    expect(new ProtocolError('ERR_NOT_IN_THE_TABLE', 'x').code).toBe('ERR_NOT_IN_THE_TABLE');
  });

  it('defines each code once: the API reuses the protocol codes it answers with', () => {
    const codes = [...Object.values(ErrorCode), ...Object.values(ApiErrorCode)];
    expect(ApiErrorCode.targetSyntax).toBe(ErrorCode.TARGET_SYNTAX);
    expect(new Set(codes).size).toBe(codes.length - 1);
  });
});
