import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  SignContext,
  authFactsDigest,
  decodeFrame,
  encodeFrame,
  fingerprint,
  loadKeyPair,
  signBytes,
  transcript,
  verifyBytes,
  type Frame,
  type FrameInput,
} from '@brine/protocol';

/** One authenticated minion session on a {@link RawMaster}. */
export interface RawMasterSession {
  id: string;
  /** Every frame the minion sent after `welcome`. */
  frames: Frame[];
  /** Sends a frame, or raw bytes, to the minion. */
  send(frame: FrameInput | Uint8Array): void;
  closed: Promise<void>;
}

/** Options for {@link startRawMaster}. */
export interface RawMasterOptions {
  port: number;
  /** A master state dir's `pki` directory: its key and TLS certificate are used. */
  pkiDir: string;
  tls: boolean;
}

/** A master speaking the protocol by hand. */
export interface RawMaster {
  sessions: RawMasterSession[];
  /** Resolves with the next session of minion `id` to authenticate after the call. */
  session(id: string, timeoutMs?: number): Promise<RawMasterSession>;
  close(): Promise<void>;
}

/**
 * A master built from another master's key and certificate: it passes a minion's pinning and
 * then sends whatever a test wants. It stands for an attacker who controls the channel, which is
 * when the job signature, audience, expiry and jid log are all that protects the minion.
 */
export async function startRawMaster(o: RawMasterOptions): Promise<RawMaster> {
  const key = loadKeyPair(readFileSync(join(o.pkiDir, 'master.pem'), 'utf8'));
  const tlsKey = readFileSync(join(o.pkiDir, 'master-tls.key'), 'utf8');
  const cert = readFileSync(join(o.pkiDir, 'master-tls.crt'), 'utf8');
  const certFp = o.tls ? fingerprint(new X509Certificate(cert).raw) : '';
  const server: Server = o.tls ? createHttpsServer({ key: tlsKey, cert }) : createHttpServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const sessions: RawMasterSession[] = [];
  const waiting = new Set<() => void>();

  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => {});
    let hello: Frame<'hello'> | undefined;
    let nonce: Buffer | undefined;
    let session: RawMasterSession | undefined;
    ws.on('message', (data: Buffer) => {
      const decoded = decodeFrame(data);
      if (!decoded.ok) return ws.terminate();
      const frame = decoded.frame;
      if (session) {
        session.frames.push(frame);
        return;
      }
      if (frame.type === 'hello') {
        hello = frame;
        nonce = randomBytes(32);
        const signed = transcript(SignContext.masterChallenge, [frame.id, frame.nonce, nonce, certFp, frame.pub]);
        const sig = signBytes(key.privateKey, signed);
        ws.send(encodeFrame({ type: 'challenge', masterPub: key.publicRaw, nonce, certFp, sig }));
        return;
      }
      if (frame.type === 'auth' && hello && nonce) {
        const signed = transcript(SignContext.minionAuth, [
          hello.id,
          nonce,
          hello.nonce,
          key.publicRaw,
          certFp,
          authFactsDigest(frame),
        ]);
        if (!verifyBytes(hello.pub, signed, frame.sig)) return ws.terminate();
        // A long heartbeat: the minion's dead-master timer must not fire during a test.
        ws.send(encodeFrame({ type: 'welcome', heartbeatMs: 600_000 }));
        session = {
          id: hello.id,
          frames: [],
          send: (f) => ws.send(f instanceof Uint8Array ? f : encodeFrame(f)),
          closed: new Promise((resolve) => ws.once('close', () => resolve())),
        };
        sessions.push(session);
        for (const w of [...waiting]) w();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: o.port }, resolve);
  });

  return {
    sessions,
    session: (id, timeoutMs = 15_000) => {
      const start = sessions.length;
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = sessions.slice(start).find((s) => s.id === id);
          if (!found) return;
          waiting.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`minion ${id} did not authenticate to the raw master in ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}
