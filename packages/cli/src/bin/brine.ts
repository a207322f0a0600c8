#!/usr/bin/env node
// `brine events …` streams the event bus and `brine completion …` prints a completion script;
// anything else is `brine <target> <function> …`. To target a minion whose id is literally
// "events" or "completion", use `brine -L events …`.
const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, exitCode: 0 };
const argv = process.argv.slice(2);
if (argv[0] === 'events') {
  const { runEvents } = await import('../events-command.js');
  process.exitCode = await runEvents(argv.slice(1), io);
} else if (argv[0] === 'completion') {
  const { runCompletion } = await import('../completion.js');
  process.exitCode = await runCompletion(argv.slice(1), io);
} else {
  const { runBrine } = await import('../brine-command.js');
  process.exitCode = await runBrine(argv, io);
}
