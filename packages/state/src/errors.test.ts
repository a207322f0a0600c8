import { describe, expect, it } from 'vitest';
import { StateError, StateErrorCode } from './errors.js';

describe('StateError', () => {
  it('takes a code of the table, where it happened, and keeps a cause', () => {
    const cause = new SyntaxError('bad');
    const err = new StateError(StateErrorCode.YAML, 'x', { file: 'a.sls', line: 3, cause });
    expect(err).toMatchObject({ code: 'ERR_STATE_YAML', file: 'a.sls', line: 3, cause });
  });

  it('refuses a code outside the table (type-checked)', () => {
    // @ts-expect-error a code that is in no table
    expect(new StateError('ERR_NOT_IN_THE_TABLE', 'x').code).toBe('ERR_NOT_IN_THE_TABLE');
  });
});
