import { describe, expect, it } from 'vitest';
import { dumpSaltYaml, loadSaltYaml } from './salt-yaml.js';

const scalar = (text: string): unknown => (loadSaltYaml(`v: ${text}`, 't.sls').data as { v: unknown }).v;

describe('loadSaltYaml', () => {
  // Each row is what PyYAML's SafeLoader (Salt's loader) makes of the scalar.
  it.each([
    ['yes', true],
    ['On', true],
    ['TRUE', true],
    ['no', false],
    ['off', false],
    ['y', 'y'], // PyYAML has no single-letter booleans (the yaml package's 1.1 schema has)
    ['n', 'n'],
    ['0644', 420], // YAML 1.1 octal: file modes written without quotes
    ['0o644', '0o644'],
    ['09', '09'], // not octal, not decimal: a string in PyYAML
    ['1_000', 1000],
    ['0x1F', 31],
    ['1e3', '1e3'], // PyYAML floats need a dot
    ['1.5e3', '1.5e3'], // ... and a signed exponent
    ['1.5e+3', 1500],
    ['.5', 0.5],
    ['1:30', 90], // sexagesimal
    ['05:30', '05:30'], // PyYAML's sexagesimal starts with 1-9
    ['~', null],
    ['Null', null],
    ['2024-01-02', '2024-01-02'], // kept as text (PyYAML makes a date object)
    ['"yes"', 'yes'],
  ])('reads %s as PyYAML does', (text, expected) => {
    expect(scalar(text)).toStrictEqual(expected);
  });

  it('gives the line of each top-level key', () => {
    const { keyLines } = loadSaltYaml('a:\n  pkg.installed: []\n\nb:\n  file.managed: []\n', 'x.sls');
    expect(Object.fromEntries(keyLines)).toStrictEqual({ a: 1, b: 4 });
  });

  it('gives the line of each ID under extend, and of quoted and flow keys', () => {
    const text =
      'extend:\n  nginx:\n    service:\n      - watch: [a]\n\n  \'php-fpm\': {file: [managed]}\n"c d": {x: 1}\n';
    const { keyLines, data } = loadSaltYaml(text, 'x.sls');
    expect(Object.fromEntries(keyLines)).toStrictEqual({
      extend: 1,
      'extend\0nginx': 2,
      'extend\0php-fpm': 6,
      'c d': 7,
    });
    expect(data).toStrictEqual({
      extend: { nginx: { service: [{ watch: ['a'] }] }, 'php-fpm': { file: ['managed'] } },
      'c d': { x: 1 },
    });
  });

  it('merges mappings with << and reads an alias as the anchored value', () => {
    const { data } = loadSaltYaml('base: &b {mode: "0644", user: root}\nf:\n  <<: *b\n  user: www\n', 'm.sls');
    expect(data).toStrictEqual({ base: { mode: '0644', user: 'root' }, f: { mode: '0644', user: 'www' } });
  });

  it('refuses aliases that expand past the limit and an alias inside its own anchor', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      laughs.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(', ')}]`,
      );
    expect(() => loadSaltYaml(laughs.join('\n'), 'bomb.sls')).toThrow(
      expect.objectContaining({ code: 'ERR_STATE_YAML', message: expect.stringContaining('bomb.sls') }),
    );
    expect(() => loadSaltYaml('a: &a [1, *a]\n', 'loop.sls')).toThrow(
      expect.objectContaining({ code: 'ERR_STATE_YAML' }),
    );
  });

  it('names the last line for an error at the end of a file without a final newline', () => {
    expect(() => loadSaltYaml('a: 1\nc: [', 'end.sls')).toThrow(
      expect.objectContaining({ code: 'ERR_STATE_YAML', file: 'end.sls', line: 2 }),
    );
  });

  it('refuses a duplicate key with ERR_STATE_YAML and the file and line', () => {
    expect(() => loadSaltYaml('a: 1\nb: 2\na: 3\n', 'dup.sls')).toThrow(
      expect.objectContaining({ code: 'ERR_STATE_YAML', file: 'dup.sls', line: 3 }),
    );
  });

  it('names the line of a syntax error', () => {
    expect(() => loadSaltYaml('a:\n  - b\n c: [\n', 'bad.sls')).toThrow(
      expect.objectContaining({ code: 'ERR_STATE_YAML', file: 'bad.sls' }),
    );
  });
});

describe('dumpSaltYaml', () => {
  it('writes flow style and quotes strings that would read back as another type', () => {
    const text = dumpSaltYaml({ a: 'yes', b: [1, '0644'], c: 'plain' });
    expect(text).toBe('{ a: "yes", b: [ 1, "0644" ], c: plain }');
    expect(loadSaltYaml(`v: ${text}`, 't').data).toStrictEqual({ v: { a: 'yes', b: [1, '0644'], c: 'plain' } });
  });
});
