// Runs the transport floor for one N: a floor server process and a floor clients process,
// connect time, broadcast rounds, server memory per connection and CPU per reply.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMeter, ipcClient, load1, nextMessage, settledRss, spawnNode, stopChild } from './lib/procs.mjs';
import { summarize } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const IPC = ['ignore', 'inherit', 'inherit', 'ipc'];

/**
 * Measures the floor for `n` connections over TLS (`tls: true`) or plain ws. Returns connect
 * time, round-trip times (ms) of `rounds` broadcast rounds after `warmup`, the server's RSS
 * before connections, when idle with N and after traffic, and CPU per reply on each side.
 */
export async function runFloor({ n, tls, warmup, rounds, sourceAddresses }) {
  const load = load1();
  const server = spawnNode(join(here, 'floor-server.mjs'), [tls ? '--tls' : '--plain'], { fds: n + 256, stdio: IPC });
  let clients;
  try {
    const call = ipcClient(server);
    const listening = await nextMessage(server, (m) => m.type === 'listening', 30_000, 'floor server');
    await sleep(500);
    const rssBase = await settledRss(server.pid);
    const url = `${tls ? 'wss' : 'ws'}://127.0.0.1:${listening.port}`;
    clients = spawnNode(
      join(here, 'floor-clients.mjs'),
      [
        '--url',
        url,
        '--count',
        String(n),
        '--cert-fp',
        listening.certFp,
        '--source-addresses',
        String(sourceAddresses),
      ],
      { fds: n + 256, stdio: IPC },
    );
    const meterConnect = cpuMeter({ server: server.pid, clients: clients.pid });
    const connected = await nextMessage(clients, (m) => m.type === 'connected', 300_000, 'floor clients');
    const connectCpu = meterConnect();
    if (connected.connected !== n) throw new Error(`floor: only ${connected.connected}/${n} clients connected`);
    await call({ cmd: 'wait', n }, 30_000);
    await sleep(500);
    const rssIdle = await settledRss(server.pid);
    const meter = cpuMeter({ server: server.pid, clients: clients.pid });
    const r = await call({ cmd: 'rounds', warmup, rounds }, 600_000);
    const cpu = meter();
    await sleep(1000);
    const rssAfter = await settledRss(server.pid);
    const replies = n * (warmup + rounds);
    return {
      n,
      tls,
      load,
      connectMs: connected.connectMs,
      connectRetries: connected.retried,
      connectServerCpuMs: connectCpu.cpuMs.server,
      rtt: summarize(r.times),
      sendLoop: summarize(r.sendLoops),
      rss: { base: rssBase, idle: rssIdle, after: rssAfter },
      perConnIdleBytes: (rssIdle - rssBase) / n,
      perConnBytes: (rssAfter - rssBase) / n,
      serverCpuUsPerReply: (cpu.cpuMs.server * 1000) / replies,
      clientsCpuUsPerReply: (cpu.cpuMs.clients * 1000) / replies,
      foreignCores: cpu.foreignCores,
    };
  } finally {
    await Promise.all([stopChild(clients, 'SIGKILL'), stopChild(server, 'SIGKILL')]);
  }
}
