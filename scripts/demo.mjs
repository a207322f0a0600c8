#!/usr/bin/env node
// The README's demo: a real master and three real minion processes on loopback, in a temp
// directory; keys accepted with brine-key; two jobs run with the brine CLI; everything stopped.
import { BIN, Cluster, waitFor } from '../packages/testing/dist/index.js';

const ids = ['minion-a', 'minion-b', 'minion-c'];
const cluster = new Cluster({ minions: ids, autosign: false });
const show = (cmd, run) => {
  process.stdout.write(`\n$ ${cmd}\n${run.stdout}${run.stderr}`);
  process.stdout.write(`(exit code ${run.code})\n`);
};
let failed = false;
try {
  console.log(`Starting a master and ${ids.length} minions in ${cluster.dir} ...`);
  await cluster.start();
  // The minions are pending until an operator accepts their keys; wait until all three knocked.
  await waitFor(
    async () => {
      const { body } = await cluster.api('GET', '/api/v1/keys?state=pending');
      return body.keys.length === ids.length;
    },
    15_000,
    'three pending keys',
  );
  show('brine-key -L', await cluster.cli(BIN.brineKey, ['-L']));
  show('brine-key -A -y', await cluster.cli(BIN.brineKey, ['-A', '-y']));
  await cluster.waitConnected(ids);
  const ping = await cluster.cli(BIN.brine, ['*', 'test.ping']);
  show("brine '*' test.ping", ping);
  const uname = await cluster.cli(BIN.brine, ['*', 'cmd.run', 'uname -a']);
  show("brine '*' cmd.run 'uname -a'", uname);
  const partial = await cluster.cli(BIN.brine, ['-L', 'minion-a,minion-z', 'test.ping', '-v']);
  show('brine -L minion-a,minion-z test.ping -v   # minion-z is not a known minion', partial);
  failed = ping.code !== 0 || uname.code !== 0;
} catch (err) {
  console.error(`demo failed: ${err.message}`);
  failed = true;
} finally {
  await cluster.stop();
  console.log('\nStopped the master and the minions; removed the temp directory.');
}
process.exit(failed ? 1 : 0);
