// The transport floor's server: the same transport Brine's master uses by default (WebSocket via
// `ws` over TLS 1.3 with a self-signed P-256 certificate, msgpackr with Brine's codec options,
// permessage-deflate off) and nothing else. Driven over IPC by bench/floor.mjs:
//   {cmd:'wait', n}               answers once n clients are connected
//   {cmd:'rounds', warmup, rounds} broadcasts one job frame to every client per round and waits
//                                 for every reply; answers with the round times
// Usage: node bench/floor-server.mjs --tls|--plain
import { createHash, X509Certificate } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { performance } from 'node:perf_hooks';
import { clearTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { Packr } from 'msgpackr';
import { generate } from 'selfsigned';
import { WebSocketServer } from 'ws';

const ROUND_TIMEOUT_MS = 60_000;
const tls = !process.argv.includes('--plain');
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

let certFp = '';
let server;
if (tls) {
  const pems = await generate([{ name: 'commonName', value: 'floor' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  certFp = createHash('sha256').update(new X509Certificate(pems.cert).raw).digest('hex');
  server = createHttpsServer({ key: pems.private, cert: pems.cert, minVersion: 'TLSv1.3' });
} else {
  server = createHttpServer();
}
server.on('clientError', (_err, socket) => socket.destroy());

const sockets = new Set();
let waiting; // { n, resolve }
let round; // { jid, expected, got, resolve }

const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, maxPayload: 1 << 20 });
wss.on('connection', (ws) => {
  ws.binaryType = 'nodebuffer';
  sockets.add(ws);
  ws.on('close', () => sockets.delete(ws));
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const reply = packr.unpack(data);
    if (round && reply.jid === round.jid && ++round.got === round.expected) round.resolve();
  });
  if (waiting && sockets.size >= waiting.n) waiting.resolve();
});

async function broadcastRound(seq) {
  const jid = String(seq).padStart(20, '0');
  const frame = packr.pack({ jid, fun: 'test.ping' });
  const t0 = performance.now();
  const done = new Promise((resolve, reject) => {
    round = { jid, expected: sockets.size, got: 0, resolve };
    const timer = setTimeout(
      () => reject(new Error(`round ${seq}: ${round.got}/${round.expected} replies`)),
      ROUND_TIMEOUT_MS,
    );
    round.resolve = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  for (const ws of sockets) ws.send(frame, { binary: true });
  const sendMs = performance.now() - t0;
  await done;
  return { ms: performance.now() - t0, sendMs };
}

const handlers = {
  wait: (m) =>
    sockets.size >= m.n
      ? { connected: sockets.size }
      : new Promise((resolve) => {
          waiting = { n: m.n, resolve: () => resolve({ connected: sockets.size }) };
        }),
  rounds: async (m) => {
    const times = [];
    const sendLoops = [];
    for (let i = 0; i < m.warmup + m.rounds; i++) {
      const r = await broadcastRound(i + 1);
      if (i >= m.warmup) {
        times.push(r.ms);
        sendLoops.push(r.sendMs);
      }
      await sleep(20);
    }
    return { times, sendLoops, connected: sockets.size };
  },
};

process.on('message', async (m) => {
  try {
    process.send({ id: m.id, ...(await handlers[m.cmd](m)) });
  } catch (err) {
    process.send({ id: m.id, error: err.message });
  }
});
// The driver's exit (or crash) closes the channel: nothing else would stop this process.
process.on('disconnect', () => process.exit(0));

server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  process.send({ type: 'listening', port: server.address().port, certFp, tls });
});
