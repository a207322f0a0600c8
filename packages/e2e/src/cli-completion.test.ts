import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '@brine/testing';

// `brine completion bash|zsh`, checked by running the scripts in real shells. The scripts are
// generated once and sourced from files, so each case costs a shell start, not a node start.
const script = (shell: string) =>
  execFileSync(process.execPath, [BIN.brine, 'completion', shell], { encoding: 'utf8' });
const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'brine-completion-'));
  writeFileSync(join(dir, 'brine.bash'), script('bash'));
  writeFileSync(join(dir, '_brine'), script('zsh'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `body` in bash after loading the completion script; `c WORD...` prints what Tab offers for the last word. */
function bash(body: string): string {
  const prelude = `source '${join(dir, 'brine.bash')}'
c() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _brine_bash; printf '%s\\n' "\${COMPREPLY[*]}"; }
`;
  return execFileSync('bash', ['-c', prelude + body], { encoding: 'utf8' });
}

describe('brine completion bash', () => {
  it('loads with source <(brine completion bash) and registers all four commands', () => {
    const out = execFileSync(
      'bash',
      [
        '-c',
        `source <("${process.execPath}" "${BIN.brine}" completion bash); complete -p brine brine-key brine-run brine-call`,
      ],
      { encoding: 'utf8' },
    );
    expect(out).toBe(
      ['brine', 'brine-key', 'brine-run', 'brine-call'].map((c) => `complete -F _brine_bash ${c}\n`).join(''),
    );
  });

  it.each([
    [['brine', ''], 'events completion'],
    [['brine', '*', 'test.p'], 'test.ping'],
    [['brine', '-G', 'role', ':', 'web', 'cmd.r'], 'cmd.retcode cmd.run cmd.run_all'],
    [['brine', '-t', '5', '*', 'sys.l'], 'sys.list_functions sys.list_modules'],
    [['brine', '*', 'test.ping', '--ou'], '--out --out-file'],
    [['brine', '*', 'test.ping', '--out', ''], 'nested json ndjson yaml txt raw table highstate'],
    [['brine', '*', 'test.ping', '--out', '=', 'nd'], 'ndjson'],
    [['brine', '-G', 'role', ':'], ''],
    [['brine', 'completion', ''], 'bash zsh'],
    [['brine', 'events', '--co'], '--count'],
    [['brine-run', 'jobs.'], 'jobs.list jobs.lookup jobs.active jobs.kill'],
    [['brine-run', 'manage.up', '--out', ''], 'nested json'],
    [['brine-key', '--accept'], '--accept --accept-all'],
    [['brine-call', '--local', '--state-dir', '/tmp', 'test.e'], 'test.echo'],
    [['/usr/local/bin/brine-call', '--lo'], '--local'],
  ])('completes %j to %s', (words, expected) => {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    expect(bash(`c ${quoted}`)).toBe(`${expected}\n`);
  });

  it('completes paths after --out-file', () => {
    expect(bash(`cd '${dir}' && touch result.json && c brine '*' test.ping --out-file res`)).toBe('result.json\n');
  });

  it("lists exactly the minion's functions, as sys.list_functions reports them", () => {
    const listed = /^_brine_functions='([^']*)'$/m.exec(readFileSync(join(dir, 'brine.bash'), 'utf8'))?.[1]?.split(' ');
    const stateDir = mkdtempSync(join(tmpdir(), 'brine-functions-'));
    try {
      const out = execFileSync(process.execPath, [BIN.minion, 'call', '--state-dir', stateDir], {
        input: JSON.stringify({ fun: 'sys.list_functions' }),
        encoding: 'utf8',
      });
      const result = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; ret?: unknown })
        .find((m) => m.type === 'result');
      expect(listed).toEqual([...(result?.ret as string[])].sort());
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasZsh)('brine completion zsh', () => {
  it('registers _brine with compdef and offers the same words as bash, splitting --out=value itself', () => {
    const t = (words: string) => `_brine_candidates ${words}; print -r -- "$_brine_mode|$_brine_prefix|$_brine_words"`;
    const out = execFileSync(
      'zsh',
      [
        '-fc',
        [
          'autoload -U compinit && compinit -u -D',
          `source '${join(dir, '_brine')}'`,
          'print -r -- ${_comps[brine]} ${_comps[brine-key]} ${_comps[brine-run]} ${_comps[brine-call]}',
          t(`brine '*' test.ping --out ''`),
          t(`brine '*' test.ping --out=j`),
          t(`brine -G role:web ''`),
          t(`brine-call --local -c ''`),
        ].join('\n'),
      ],
      { encoding: 'utf8' },
    );
    const [comps, out1, out2, functions, path] = out.split('\n');
    expect(comps).toBe('_brine _brine _brine _brine');
    expect(out1).toBe('words||nested json ndjson yaml txt raw table highstate');
    expect(out2).toBe('words|--out=|nested json ndjson yaml txt raw table highstate');
    expect(functions).toMatch(/^words\|\|cmd\.exec .* test\.version$/);
    expect(path).toBe('path||');
  });
});

describe('brine completion', () => {
  it('exits 64 for a shell it does not know, and without one', () => {
    for (const args of [['completion', 'fish'], ['completion']]) {
      const r = spawnSync(process.execPath, [BIN.brine, ...args], { encoding: 'utf8' });
      expect(r.status).toBe(64);
      expect(r.stderr).not.toBe('');
    }
  });

  it('writes a zsh script that starts with #compdef', () => {
    expect(readFileSync(join(dir, '_brine'), 'utf8')).toMatch(/^#compdef brine brine-key brine-run brine-call\n/);
  });
});
