// The transport floor's clients: N WebSocket connections in one process, spread over several
// 127.0.0.x source addresses, each answering every job frame with a small reply. Like a Brine
// minion, a client offers no permessage-deflate and pins the server's certificate by its SHA-256
// fingerprint (the certificate is self-signed). Reports over IPC when all are connected.
// Usage: node bench/floor-clients.mjs --url wss://127.0.0.1:P --count N [--cert-fp HEX]
//          [--source-addresses K] [--concurrency C]
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';

const MAX_ATTEMPTS = 5;
const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    count: { type: 'string' },
    'cert-fp': { type: 'string', default: '' },
    'source-addresses': { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '200' },
  },
});
const count = Number(opts.count);
const addresses = Array.from({ length: Number(opts['source-addresses']) }, (_, i) => `127.0.0.${i + 1}`);
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

const sockets = [];
let failed = 0;
let retried = 0;

/** Opens connection `i`, retrying a failed attempt; resolves true when open. */
async function connect(i) {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const ok = await new Promise((resolve) => {
      const ws = new WebSocket(opts.url, {
        perMessageDeflate: false,
        rejectUnauthorized: false,
        handshakeTimeout: 30_000,
        localAddress: addresses[i % addresses.length],
      });
      ws.binaryType = 'nodebuffer';
      ws.on('upgrade', (res) => {
        if (!opts['cert-fp']) return;
        const fp = createHash('sha256').update(res.socket.getPeerCertificate().raw).digest('hex');
        if (fp !== opts['cert-fp']) ws.terminate();
      });
      ws.once('open', () => {
        sockets.push(ws);
        resolve(true);
      });
      ws.once('error', () => resolve(false));
      ws.once('close', () => resolve(false));
      const id = `floor-${i}`;
      ws.on('message', (data) => {
        const job = packr.unpack(data);
        ws.send(packr.pack({ id, jid: job.jid, ret: true }), { binary: true });
      });
    });
    if (ok) return true;
    retried++;
  }
  failed++;
  return false;
}

const startMs = Date.now();
const t0 = performance.now();
let nextIndex = 0;
const workers = Array.from({ length: Math.min(Number(opts.concurrency), count) }, async () => {
  while (nextIndex < count) await connect(nextIndex++);
});
await Promise.all(workers);
process.send({
  type: 'connected',
  connected: sockets.length,
  failed,
  retried,
  startMs,
  connectMs: performance.now() - t0,
  rss: process.memoryUsage().rss,
});
process.on('disconnect', () => process.exit(0));
