// Preloaded into the `brine-minion swarm` process (`node --import`): prints one line
// `{"firstConnectAt": <epoch ms>}` when the swarm opens its first connection, so the connect
// time excludes the swarm's own start-up (loading code, making N keys). Changes nothing else.
import net from 'node:net';
import tls from 'node:tls';

let said = false;
for (const mod of [tls, net]) {
  const original = mod.connect;
  mod.connect = function connect(...args) {
    if (!said) {
      said = true;
      process.stdout.write(JSON.stringify({ firstConnectAt: Date.now() }) + '\n');
    }
    return original.apply(this, args);
  };
}
