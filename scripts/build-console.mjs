#!/usr/bin/env node
// Builds the web console (packages/console, Preact + Vite) into packages/master/ui, which the
// master serves at /ui/. Type-checks it first: Vite strips types without checking them.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Vite 8 needs Node 20.19 or 22.12 or newer; the rest of Brine runs on 20.12. On an older Node the
// master runs without its console (/ui/ answers 404, saying it is not built).
const [major, minor] = process.versions.node.split('.').map(Number);
if ((major === 20 && minor < 19) || (major === 22 && minor < 12)) {
  console.error(
    `> skipping the web console: building it needs Node 20.19, 22.12 or newer (this is ${process.version})`,
  );
  process.exit(0);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'packages/console');
const quiet = process.argv.includes('--quiet');
const run = (args) =>
  execFileSync(process.execPath, args, { cwd: pkg, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
run([join(root, 'node_modules/typescript/bin/tsc'), '-p', '.']);
run([join(pkg, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', quiet ? 'warn' : 'info']);
