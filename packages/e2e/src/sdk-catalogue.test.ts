import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@brine/testing';

describe("the client's function catalogue", () => {
  it("matches the minion registry's schemas (node scripts/gen-client-functions.mjs regenerates it)", () => {
    // Runs against the built minion (packages/minion/dist), like the other cross-process tests.
    const run = () =>
      execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/gen-client-functions.mjs'), '--check'], {
        stdio: 'pipe',
      });
    expect(run).not.toThrow();
  });
});
