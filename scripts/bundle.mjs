#!/usr/bin/env node
// Bundles the minion daemon into one ES module (packages/minion/dist/brine-minion.mjs). A
// minion runs on every host, so its idle memory counts: one bundled file spares Node's module
// loader the hundreds of files of the workspace and its dependencies (about 16 MB of RSS here).
// The systemd unit and the container run this file; tests run the unbundled build.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'packages/minion/dist/bin/brine-minion.js')],
  outfile: join(root, 'packages/minion/dist/brine-minion.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // pino-pretty is optional (pretty logs on a terminal) and loaded only when present.
  external: ['pino-pretty'],
  // Some dependencies are CommonJS and call require(); give the ES module one.
  banner: {
    js: "import { createRequire as __brineCreateRequire } from 'node:module'; const require = __brineCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
