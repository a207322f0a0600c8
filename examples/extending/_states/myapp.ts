import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { defineStateModule, stateFn } from '@brine/extend';
import { z } from 'zod';

/**
 * A custom state module: `myapp.release_file` makes `name` hold the release line. Under test it
 * changes nothing and reports `result: null` with what it would change.
 */
export default defineStateModule({
  name: 'myapp',
  states: {
    release_file: stateFn({
      doc: `Ensures the file \`name\` says "release=<version>".

SLS Example:

    /srv/app/RELEASE:
      myapp.release_file:
        - version: "1.2"`,
      args: z.object({ name: z.string().startsWith('/'), version: z.coerce.string().min(1) }),
      run: async ({ name, version }, ctx) => {
        const want = `release=${version}\n`;
        let have: string | undefined;
        try {
          have = readFileSync(name, 'utf8');
        } catch {
          have = undefined;
        }
        if (have === want) return { name, result: true, comment: 'release file is current', changes: {} };
        const changes = { release: { old: have?.trim() ?? null, new: want.trim() } };
        if (ctx.test) return { name, result: null, comment: `release file would be set to ${version}`, changes };
        mkdirSync(dirname(name), { recursive: true });
        writeFileSync(name, want);
        return { name, result: true, comment: `release file set to ${version}`, changes };
      },
    }),
  },
});
