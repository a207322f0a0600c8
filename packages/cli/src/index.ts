export { runBrine } from './brine-command.js';
export { runKey } from './key-command.js';
export { runRun } from './run-command.js';
export { runCall } from './call-command.js';
export { runEvents } from './events-command.js';
export { ExitCode, exitCodeForSummary, exitCodeForError, type ExitCodeValue } from './exit-codes.js';
export { parseFunctionArgs, parseDuration, parseBatch, UsageError } from './args.js';
export { resolveCredentials, type Credentials } from './credentials.js';
