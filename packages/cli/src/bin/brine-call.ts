#!/usr/bin/env node
import { runCall } from '../call-command.js';

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, exitCode: 0 };
process.exitCode = await runCall(process.argv.slice(2), io);
