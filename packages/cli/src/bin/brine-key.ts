#!/usr/bin/env node
import { runKey } from '../key-command.js';

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, exitCode: 0 };
process.exitCode = await runKey(process.argv.slice(2), io);
