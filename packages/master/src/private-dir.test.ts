import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateDir, ensurePrivateFile } from './private-dir.js';

const modeOf = (p: string) => statSync(p).mode & 0o777;
const base = () => mkdtempSync(join(tmpdir(), 'brine-private-'));

describe('ensurePrivateDir', () => {
  it('makes a missing directory and its parents with mode 0700', () => {
    const dir = join(base(), 'a', 'b');
    expect(ensurePrivateDir(dir)).toEqual({ path: dir });
    expect(modeOf(dir)).toBe(0o700);
  });

  it('tightens a directory others can read to 0700 and says what it found', () => {
    const dir = join(base(), 'wide');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    expect(ensurePrivateDir(dir)).toEqual({ path: dir, tightenedFrom: 0o755 });
    expect(modeOf(dir)).toBe(0o700);
  });
});

describe('ensurePrivateFile', () => {
  it('creates a missing file empty with mode 0600', () => {
    const file = join(base(), 'db');
    expect(ensurePrivateFile(file)).toEqual({ path: file });
    expect(modeOf(file)).toBe(0o600);
    expect(statSync(file).size).toBe(0);
  });

  it('tightens an existing file to 0600 and keeps its content', () => {
    const file = join(base(), 'db');
    writeFileSync(file, 'data', { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(ensurePrivateFile(file)).toEqual({ path: file, tightenedFrom: 0o644 });
    expect(modeOf(file)).toBe(0o600);
    expect(statSync(file).size).toBe(4);
  });
});
