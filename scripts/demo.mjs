#!/usr/bin/env node
// The README's demo: a real master and three real minion processes on loopback, in a temp
// directory; keys accepted with brine-key; two jobs run with the brine CLI; then the web
// console's URL and a login (kept up until Enter when run in a terminal); everything stopped.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { BIN, Cluster, REPO_ROOT, waitFor } from '../packages/testing/dist/index.js';

const ids = ['minion-a', 'minion-b', 'minion-c'];
// A console user with a fresh password, hashed the way an operator would (brine-token hash-password).
const password = randomBytes(9).toString('base64url');
const hashed = spawnSync(process.execPath, [join(REPO_ROOT, 'packages/cli/dist/bin/brine-token.js'), 'hash-password'], {
  input: `${password}\n`,
  encoding: 'utf8',
});
if (hashed.status !== 0) {
  console.error(`demo failed: brine-token hash-password: ${hashed.stderr}`);
  process.exit(1);
}
const cluster = new Cluster({
  minions: ids,
  autosign: false,
  master: {
    users: { demo: { password_hash: hashed.stdout.trim() } },
    acl: { demo: ['.*', '@keys', '@jobs', '@minions', '@events'] },
  },
});
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
  console.log(`\nWeb console: ${cluster.endpoints.api}/ui/   user: demo   password: ${password}`);
  if (process.stdin.isTTY && !failed) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    await rl.question('The master and minions stay up while you look; press Enter to stop them. ');
    rl.close();
  }
} catch (err) {
  console.error(`demo failed: ${err.message}`);
  failed = true;
} finally {
  await cluster.stop();
  console.log('\nStopped the master and the minions; removed the temp directory.');
}
process.exit(failed ? 1 : 0);
