import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@brine/testing';

describe('the error-code tables', () => {
  it('are what docs/errors.md lists (node scripts/gen-error-codes.mjs regenerates it)', () => {
    const run = () =>
      execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/gen-error-codes.mjs'), '--check'], { stdio: 'pipe' });
    expect(run).not.toThrow();
  });
});
