import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@brine/testing';

const PLANTED = "export const a = 'ERR_PLANTED';\nexport const b = `ERR_${a}`;\n";

/** The messages ESLint gives for `text` as if it were the file at `path` (nothing is written). */
async function lint(path: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: REPO_ROOT }).lintText(PLANTED, { filePath: join(REPO_ROOT, path) });
  return (result?.messages ?? []).map((m) => `${m.line}:${m.ruleId}`);
}

describe('the error-code tables', () => {
  it('are what docs/errors.md lists (node scripts/gen-error-codes.mjs regenerates it)', () => {
    const run = () =>
      execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/gen-error-codes.mjs'), '--check'], { stdio: 'pipe' });
    expect(run).not.toThrow();
  });

  it('are the only place a package may spell a code out, which lint enforces', async () => {
    expect(await lint('packages/master/src/http/planted.ts')).toEqual([
      '1:no-restricted-syntax',
      '2:no-restricted-syntax',
    ]);
    expect(await lint('packages/minion/src/planted.ts')).toHaveLength(2);
    // The tables themselves, and tests asserting the wire value, may.
    expect(await lint('packages/minion/src/errors.ts')).toEqual([]);
    expect(await lint('packages/minion/src/planted.test.ts')).toEqual([]);
  });
});
