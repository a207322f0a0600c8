import type { Executor } from './executor.js';

/**
 * Kills every running job and gives the killed jobs up to `graceMs` to write their returns to the
 * outbox, checking every `pollMs`; resolves when none runs or the grace is over (a return not
 * written by then is reported as `interrupted` at the next start).
 */
export async function killRunningJobs(
  executor: Pick<Executor, 'runningJids' | 'kill'>,
  graceMs = 3000,
  pollMs = 50,
): Promise<void> {
  for (const jid of executor.runningJids()) executor.kill(jid);
  const deadline = Date.now() + graceMs;
  while (executor.runningJids().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, pollMs));
}
