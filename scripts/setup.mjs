#!/usr/bin/env node
// Installs the workspace and builds it. Needs only Node 20.19+ and npm: pnpm 10 is used from PATH
// when present, otherwise fetched once with npx (corepack cannot fetch it on machines whose
// registry carries no signatures).
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
// package.json's engines: the age library's crypto and Vite 8 need 20.19 (or 22.12).
if (major < 20 || (major === 20 && minor < 19) || (major === 22 && minor < 12)) {
  console.error(`Brine needs Node 20.19 or newer (22.12 or newer on 22); this is ${process.version}`);
  process.exit(1);
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.startsWith('10.')) return ['pnpm'];
  return ['npx', '--yes', 'pnpm@10'];
}

const [cmd, ...pre] = pnpmCommand();
const quiet = process.argv.includes('--quiet');
const run = (args) =>
  execFileSync(cmd, [...pre, ...args], { cwd: root, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
console.error('> installing dependencies (pnpm install --frozen-lockfile)');
run(['install', '--frozen-lockfile', '--reporter=silent']);
console.error('> building (tsc -b, then the minion bundle)');
run(['exec', 'tsc', '-b']);
run(['exec', 'node', 'scripts/bundle.mjs']);
console.error('> building the web console (vite)');
run(['exec', 'node', 'scripts/build-console.mjs', ...(quiet ? ['--quiet'] : [])]);
