import { describe, expect, it } from 'vitest';
import { parseBatch, parseDuration, parseFunctionArgs, yamlifyArg } from './args.js';

describe('yamlifyArg', () => {
  it.each([
    ['1', 1],
    ['-1', -1],
    ['1.5', 1.5],
    ['1e3', 1000],
    ['0755', 755],
    ['0x1F', 31],
    ['-0', 0],
    ['true', true],
    ['True', true],
    ['FALSE', false],
    ['null', null],
    ['None', null],
    ['~', null],
    ['[1, 2]', [1, 2]],
    ['[a, {b: null}]', ['a', { b: null }]],
    ['{a: 1}', { a: 1 }],
    ['{"x y": [true]}', { 'x y': [true] }],
    ['"1"', '1'],
    ["'true'", 'true'],
    ['""', ''],
    ['[1, 2] # c', [1, 2]],
  ])('parses %j as a value', (word, value) => {
    expect(yamlifyArg(word)).toStrictEqual(value);
  });

  it.each([
    ['uname -a', 'a command with a space'],
    ['hello', 'a plain word'],
    ['yes', 'a YAML 1.1 boolean (YAML 1.2 here)'],
    ['on', 'a YAML 1.1 boolean'],
    ['2024-01-01', 'a date'],
    ['1_000', 'digits with underscores (Salt keeps these)'],
    ['a: b', 'a mapping without braces'],
    ['- x', 'a list without brackets'],
    ['foo # bar', 'text with a comment sign'],
    ['#', 'a lone #'],
    ['|', 'a block indicator'],
    ['!', 'a tag indicator'],
    ['  ', 'whitespace'],
    ['', 'the empty word'],
    ['[1, 2', 'an unclosed list'],
    ['"unterminated', 'an unclosed quote'],
    ['{a: 1, a: 2}', 'a duplicate key'],
    ['a\n---\nb', 'two documents'],
    ['line one\nline two', 'multi-line text, which YAML would fold'],
    [' padded ', 'text with spaces around it'],
    ['.inf', 'an infinity JSON cannot carry'],
    ['[.nan]', 'a NaN inside a list'],
    ['12345678901234567890', 'an integer beyond 2^53'],
    ['!!binary aGk=', 'binary'],
    ['&a [1, *a]', 'a self-referencing alias'],
    ['*x', 'an undefined alias'],
    ['@x', 'a reserved indicator'],
    ['!foo bar', 'an unknown tag'],
  ])('keeps %j as the word (%s)', (word) => {
    expect(yamlifyArg(word)).toBe(word);
  });

  it('rejects a __proto__ key inside a parsed object', () => {
    expect(() => yamlifyArg('{a: {__proto__: {x: 1}}}')).toThrow(expect.objectContaining({ code: 'ERR_CLI_USAGE' }));
  });
});

describe('parseFunctionArgs', () => {
  it('splits args and key=value kwargs, parsing each value', () => {
    expect(
      parseFunctionArgs(['uname -a', 'runas=root', 'timeout=5', 'env={A: 1}', '42', 'shell=/bin/sh']),
    ).toStrictEqual({
      args: ['uname -a', 42],
      kwargs: { runas: 'root', timeout: 5, env: { A: 1 }, shell: '/bin/sh' },
    });
  });

  it('returns nothing for no words', () => {
    expect(parseFunctionArgs([])).toStrictEqual({ args: [], kwargs: {} });
  });

  it.each([
    ['a==b', 'a second = right after the key'],
    ['1a=b', 'a key starting with a digit'],
    ['a.b=c', 'a dotted key'],
    ['a-b=c', 'a dashed key'],
    ['a b=c', 'a space before ='],
    ['=x', 'an empty key'],
    ['http://h/?q=1', 'a URL'],
    ['echo a=b\nls', 'a newline'],
  ])('keeps %j positional (%s)', (word) => {
    expect(parseFunctionArgs([word])).toStrictEqual({ args: [word], kwargs: {} });
  });

  it('splits at the first = only and keeps the rest of the value', () => {
    expect(parseFunctionArgs(['cmd=a=b c', 'empty=', '_x=[1]'])).toStrictEqual({
      args: [],
      kwargs: { cmd: 'a=b c', empty: '', _x: [1] },
    });
  });

  it('lets a later key win', () => {
    expect(parseFunctionArgs(['n=1', 'n=2']).kwargs).toStrictEqual({ n: 2 });
  });

  it.each(['__proto__=1', 'constructor=x', 'prototype={a: 1}'])('rejects %j with a usage error', (word) => {
    expect(() => parseFunctionArgs([word])).toThrow(
      expect.objectContaining({ code: 'ERR_CLI_USAGE', message: expect.stringContaining(word.split('=')[0]!) }),
    );
  });
});

describe('parseDuration', () => {
  const flag = '--timeout';
  it.each([
    ['5', 5000],
    ['0.5', 500],
    ['.25', 250],
    ['2.', 2000],
    ['0.0001', 1],
    ['250ms', 250],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [' 7 ', 7000],
  ])('reads %j as %d ms', (value, ms) => {
    expect(parseDuration(value, { flag })).toBe(ms);
  });

  it.each(['0', '-1', 'abc', '', '5x', '1e3', 'Infinity', '86401', '1.2.3'])(
    'rejects %j naming the flag and value',
    (value) => {
      expect(() => parseDuration(value, { flag })).toThrow(
        expect.objectContaining({ code: 'ERR_CLI_USAGE', message: expect.stringContaining(`--timeout: "${value}"`) }),
      );
    },
  );

  it('accepts zero only when allowed, and honours maxMs', () => {
    expect(parseDuration('0', { flag: '--batch-wait', allowZero: true })).toBe(0);
    expect(() => parseDuration('11', { flag: '--x', maxMs: 10_000 })).toThrow(/--x: "11"/);
  });
});

describe('parseBatch', () => {
  it.each([
    ['10', 10],
    ['1', 1],
    ['25%', '25%'],
    ['100%', '100%'],
    ['007', 7],
  ])('reads %j as %j', (value, batch) => {
    expect(parseBatch(value)).toBe(batch);
  });

  it.each(['0', '0%', '101%', '-1', '1.5', '10 %', 'all', ''])('rejects %j naming the flag and value', (value) => {
    expect(() => parseBatch(value, '-b')).toThrow(
      expect.objectContaining({ code: 'ERR_CLI_USAGE', message: expect.stringContaining(`-b: "${value}"`) }),
    );
  });
});
