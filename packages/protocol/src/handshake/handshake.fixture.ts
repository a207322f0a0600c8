import { randomBytes } from 'node:crypto';
import { decodeFrame, encodeFrame } from '../codec.js';
import type { Frame, FrameInput } from '../frames.js';
import { fingerprint, generateMemoryKeyPair } from '../signatures.js';
import {
  masterHandshake,
  stepMaster,
  type MasterHandshakeOutput,
  type MasterHandshakeState,
} from './master-handshake.js';
import {
  minionHandshake,
  stepMinion,
  type MinionHandshakeOutput,
  type MinionHandshakeState,
} from './minion-handshake.js';

/** The keys, nonces and certificate of one test connection. */
export function handshakeWorld() {
  const master = generateMemoryKeyPair();
  const minion = generateMemoryKeyPair();
  const certFp = fingerprint(Buffer.from('test certificate'));
  const masterConfig = {
    privateKey: master.privateKey,
    publicRaw: master.publicRaw,
    certFp,
    nonce: randomBytes(32),
    pendingRetryMs: 1000,
    heartbeatMs: 15_000,
  };
  const minionConfig = {
    id: 'web1',
    privateKey: minion.privateKey,
    publicRaw: minion.publicRaw,
    nonce: randomBytes(32),
    version: '0.1.0',
    backoffCapMs: 30_000,
  };
  return { master, minion, certFp, masterConfig, minionConfig };
}

/** A frame as the other side decodes it: encoded to bytes and back, as on the wire. */
export function wire(frame: FrameInput): Frame {
  const decoded = decodeFrame(encodeFrame(frame));
  if (!decoded.ok) throw new Error(`frame does not decode: ${decoded.error.code}`);
  return decoded.frame;
}

/** An output in a few words, so a table can list a step's outputs. */
export function describeOutput(o: MasterHandshakeOutput | MinionHandshakeOutput): string {
  switch (o.type) {
    case 'send': {
      const f = o.frame;
      if (f.type === 'error') return `send error ${f.code}`;
      if (f.type === 'auth.refused') return `send auth.refused ${f.code} ${f.retryAfterMs}`;
      if (f.type === 'welcome') return `send welcome ${f.heartbeatMs}`;
      if (f.type === 'grains.update') return `send grains.update ${f.seq}`;
      return `send ${f.type}`;
    }
    case 'close':
      return 'code' in o ? `close ${o.code} ${o.reason}` : 'close';
    case 'admit':
    case 'authenticated':
      return `${o.type} ${o.hello.id}`;
    case 'deliver':
      return `deliver ${o.frame.type}`;
    case 'log':
      return `log ${o.level} ${o.msg}`;
    case 'fail':
      return `fail ${o.code}`;
    case 'ready':
      return `ready ${o.heartbeatMs}`;
    case 'retry-after':
      return `retry-after ${o.ms}`;
    default:
      return o.type;
  }
}

/** The frames a list of outputs sends. */
export function sent(outputs: readonly (MasterHandshakeOutput | MinionHandshakeOutput)[]): FrameInput[] {
  return outputs.flatMap((o) => (o.type === 'send' ? [o.frame] : []));
}

/**
 * A minion machine run up to the point where it has sent `auth`, against a master machine that
 * answered its hello: the frames a real minion sends, for the master's tables.
 */
export function minionFrames(world: ReturnType<typeof handshakeWorld>) {
  let minion: MinionHandshakeState = minionHandshake(world.minionConfig);
  let master: MasterHandshakeState = masterHandshake(world.masterConfig);
  master = stepMaster(master, { type: 'open' }).state;
  const opened = stepMinion(minion, { type: 'open', certFp: world.certFp });
  minion = opened.state;
  const hello = wire(sent(opened.outputs)[0]!) as Frame<'hello'>;
  const challenged = stepMaster(master, { type: 'frame', frame: hello });
  const challenge = wire(sent(challenged.outputs)[0]!) as Frame<'challenge'>;
  minion = stepMinion(minion, { type: 'frame', frame: challenge }).state;
  const pinned = stepMinion(minion, {
    type: 'pinned',
    pin: { ok: true, firstUse: false },
    facts: { grains: { os: 'Ubuntu' }, running: [] },
  });
  const auth = wire(sent(pinned.outputs)[0]!) as Frame<'auth'>;
  return { hello, auth, minion: pinned.state };
}
