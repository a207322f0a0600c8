import { describe, expect, it } from 'vitest';
import { lexCompound } from './compound-lexer.js';

function tokens(text: string): string[] {
  return lexCompound(text).map((t) => `${t.kind === 'word' ? t.text : t.kind}@${t.pos}`);
}

describe('lexCompound', () => {
  it('splits words on any whitespace and keeps their offsets', () => {
    expect(tokens(' web*\tand\n G@os:Debian ')).toEqual(['web*@1', 'and@6', 'G@os:Debian@11']);
  });

  it('reads and, or and not as operators only as whole lowercase words', () => {
    expect(tokens('not AND or android')).toEqual(['not@0', 'AND@4', 'or@8', 'android@11']);
  });

  it('splits parentheses off the words they touch', () => {
    expect(tokens('((web* or db*))')).toEqual(['(@0', '(@1', 'web*@2', 'or@7', 'db*@10', ')@13', ')@14']);
    expect(tokens(')(')).toEqual([')@0', '(@1']);
  });

  it('leaves a closing parenthesis to the word that opened it', () => {
    expect(tokens('(E@web(1|2))')).toEqual(['(@0', 'E@web(1|2)@1', ')@11']);
    expect(tokens('G@cpu:Intel(R)')).toEqual(['G@cpu:Intel(R)@0']);
  });

  it('never splits off an escaped parenthesis', () => {
    expect(tokens('(E@a\\))')).toEqual(['(@0', 'E@a\\)@1', ')@6']);
  });
});
