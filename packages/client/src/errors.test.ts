import { describe, expect, it } from 'vitest';
import { ApiResponseError, BrineClientError, ClientErrorCode } from './errors.js';

describe("the client's errors", () => {
  it("take a code of the client's table and keep a cause; an API answer keeps the master's code", () => {
    const cause = new TypeError('fetch failed');
    expect(new BrineClientError(ClientErrorCode.unreachable, 'x', undefined, { cause })).toMatchObject({
      code: 'ERR_CLIENT_UNREACHABLE',
      cause,
    });
    const answer = new ApiResponseError(503, { code: 'ERR_STORE_UNREACHABLE', message: 'x' });
    expect(answer).toBeInstanceOf(BrineClientError);
    expect(answer).toMatchObject({ status: 503, code: 'ERR_STORE_UNREACHABLE' });
  });

  it('refuse a code outside the table (type-checked)', () => {
    // @ts-expect-error a code that is not the client's: only ApiResponseError carries the master's
    expect(new BrineClientError('ERR_AUTH_FORBIDDEN', 'x').code).toBe('ERR_AUTH_FORBIDDEN');
  });
});
