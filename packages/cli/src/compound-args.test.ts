import { describe, expect, it } from 'vitest';
import { compoundArgs, splitCompoundWords } from './compound-args.js';

describe('splitCompoundWords', () => {
  it('splits inside words on the separator, as `salt` does', () => {
    expect(splitCompoundWords(['hello,uname -a'], 2, ',')).toEqual([['hello'], ['uname -a']]);
    expect(splitCompoundWords(['a', 'b,c', 'd'], 2, ',')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('takes a standalone separator word as the boundary, so arguments may hold commas', () => {
    expect(splitCompoundWords(['a,b', ',', 'echo 1,2'], 2, ',')).toEqual([['a,b'], ['echo 1,2']]);
    expect(splitCompoundWords(['x', '--', 'y'], 2, '--')).toEqual([['x'], ['y']]);
  });

  it('gives empty lists to trailing functions without arguments, and an empty piece adds nothing', () => {
    expect(splitCompoundWords(['hi'], 3, ',')).toEqual([['hi'], [], []]);
    expect(splitCompoundWords([',hi'], 2, ',')).toEqual([[], ['hi']]);
  });

  it('refuses more argument lists than functions', () => {
    expect(() => splitCompoundWords(['a,b,c'], 2, ',')).toThrow(expect.objectContaining({ code: 'ERR_CLI_USAGE' }));
  });
});

describe('compoundArgs', () => {
  it("puts each function's key=value words in a trailing __kwarg__ object", () => {
    expect(compoundArgs(['hello,pwd', 'cwd=/tmp'], 2, ',')).toEqual([
      ['hello'],
      ['pwd', { __kwarg__: true, cwd: '/tmp' }],
    ]);
  });
});
