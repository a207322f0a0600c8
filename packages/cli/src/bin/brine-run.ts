#!/usr/bin/env node
import { runRun } from '../run-command.js';

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, exitCode: 0 };
process.exitCode = await runRun(process.argv.slice(2), io);
