// Child for the durability test: opens the compiled store, records a job, writes its results and
// kills itself with SIGKILL the moment writeResults returns, so nothing after it (no close, no
// exit handler) can flush anything. Usage: node kill-after-write.mjs <db-file> <jid>
import { openSqliteJobStore } from '../../../dist/store/sqlite-job-store.js';

const [path, jid] = process.argv.slice(2);
const store = openSqliteJobStore({ path });
const minions = Array.from({ length: 500 }, (_, i) => `m${i}`);
store.createJob({
  jid,
  fun: 'test.ping',
  args: [],
  kwargs: {},
  target: '*',
  targetType: 'glob',
  user: 'alice',
  startedAt: Date.UTC(2025, 0, 1),
  minions,
});
store.writeResults(minions.map((id) => ({ jid, id, outcome: 'returned', success: true, retcode: 0, ret: id })));
process.kill(process.pid, 'SIGKILL');
