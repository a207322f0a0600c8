#!/usr/bin/env node
import { runToken } from '../token-command.js';

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, exitCode: 0 };
process.exitCode = await runToken(process.argv.slice(2), io);
