#!/usr/bin/env node
// Bundles what people run into single ES modules, so Node's module loader reads a few files
// instead of the hundreds of the workspace and its dependencies:
// - the minion daemon (packages/minion/dist/brine-minion.mjs): a minion runs on every host, so
//   its idle memory counts (about 16 MB of RSS less here). The systemd unit and the container
//   run this file; tests run the unbundled build.
// - the minion's local call (dist/brine-call-local.cjs), which `brine-call --local` loads in its
//   own process: one Node start instead of two.
// - the worker thread that runs custom modules (dist/extend-worker.mjs), beside those two.
// - the CLI programs (packages/cli/dist/bundle/*.mjs, with shared chunks): a CLI start is paid
//   on every command, and loading the unbundled build was 130 of its 157 ms.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// rxjs's export map gives Node its CommonJS build, which esbuild cannot tree-shake: the CLI (on
// @brine/client) would carry all of rxjs, 380 KB more to parse at every start, and the minion
// daemon as much to hold in memory. Its ES build is marked side-effect free, so only the operators
// used are bundled.
const rxjsAsEsm = {
  name: 'rxjs-as-esm',
  setup(b) {
    b.onResolve({ filter: /^rxjs$/ }, (args) => ({
      path: join(dirname(createRequire(args.importer).resolve('rxjs/package.json')), 'dist/esm/index.js'),
    }));
  },
};
const common = {
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
  plugins: [rxjsAsEsm],
};
// zod re-exports its 60-odd message locales (350 KB) as \`z.locales\`, which Brine never uses;
// only English (its default, imported on its own) goes into the bundles.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};
/**
 * Builds, then writes each output file with every character outside printable ASCII (tab and line
 * breaks aside) as a `\\uXXXX` escape.
 * esbuild escapes them in strings, regular expressions and identifiers (its `ascii` charset), but
 * keeps comments inside expressions as they are, and one arrow in a comment made V8 hold the
 * whole 2.9 MB daemon bundle as a two-byte string: 5.8 MB of heap instead of 2.9 (issue #15). In a
 * comment the escape is plain text; anywhere else it means the same character.
 */
async function bundle(options) {
  const result = await build({ ...options, write: false });
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(
      file.path,
      file.text.replace(/[^\t\n\r\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    );
    // esbuild marks an entry that starts with a shebang executable; so does this.
    if (file.text.startsWith('#!')) chmodSync(file.path, 0o755);
  }
  return result;
}

const minion = join(root, 'packages/minion/dist');
await bundle({
  ...common,
  entryPoints: [join(minion, 'bin/brine-minion.js')],
  outfile: join(minion, 'brine-minion.mjs'),
  plugins: [rxjsAsEsm, zodEnglishOnly],
});
// CommonJS, so that the CLI can compile it through vm.Script with V8's code cache (Node 20 has no
// code cache for ES modules): compiling the bundle was 120-230 ms of a local state run.
await bundle({
  ...common,
  format: 'cjs',
  entryPoints: [join(minion, 'bin/local-call-entry.js')],
  outfile: join(minion, 'brine-call-local.cjs'),
  plugins: [rxjsAsEsm, zodEnglishOnly],
  // CommonJS has no import.meta: the code that finds files beside itself (the custom modules'
  // worker) gets the bundle's own URL from __filename instead.
  // (strict mode first: a directive counts only before any statement).
  banner: { js: "'use strict';\nconst __brineModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__brineModuleUrl' },
});
// The worker thread of custom modules (issue #21): the bundles above start it from a file beside
// them (worker-pool.ts finds it there).
await bundle({
  ...common,
  entryPoints: [join(minion, 'extend/extend-worker.js')],
  outfile: join(minion, 'extend-worker.mjs'),
  plugins: [rxjsAsEsm, zodEnglishOnly],
});
rmSync(join(minion, 'brine-call-local.mjs'), { force: true });
const cli = join(root, 'packages/cli/dist');
rmSync(join(cli, 'bundle'), { recursive: true, force: true });
await bundle({
  ...common,
  entryPoints: ['brine', 'brine-key', 'brine-run', 'brine-call', 'brine-token'].map((name) => ({
    in: join(cli, `bin/${name}.js`),
    out: name,
  })),
  outdir: join(cli, 'bundle'),
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [rxjsAsEsm, zodEnglishOnly],
});
