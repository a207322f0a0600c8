#!/usr/bin/env node
// The README's test command: install and build, then type-check, lint, format-check, check the
// package boundaries and the compose file, and run every test (unit, marble, cross-process).
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const step = (title, cmd, args) => {
  console.error(`\n> ${title}`);
  try {
    execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
  } catch (err) {
    console.error(`\nFAILED: ${title} (exit ${err.status ?? err.code})`);
    process.exit(typeof err.status === 'number' && err.status !== 0 ? err.status : 1);
  }
};

step('install and build', process.execPath, [join(root, 'scripts/setup.mjs')]);
step('type-check (tsc -b)', bin('tsc'), ['-b']);
step('lint (eslint)', bin('eslint'), ['.']);
step('format (prettier --check)', bin('prettier'), ['--check', '.']);
step('package boundaries (dependency-cruiser)', bin('depcruise'), ['packages', '--config', '.dependency-cruiser.cjs']);
if (spawnSync('docker-compose', ['--version']).status === 0) {
  step('docker-compose.yml (docker-compose config)', 'docker-compose', ['config', '-q']);
  step('docker-compose.yml, profile multi', 'docker-compose', ['--profile', 'multi', 'config', '-q']);
} else {
  console.error('\n> docker-compose not installed: skipping the compose file check (CI installs it)');
}
step('tests (vitest)', bin('vitest'), ['run', ...process.argv.slice(2)]);
