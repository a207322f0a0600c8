import { describe, expect, it } from 'vitest';
import { grainsUpdateTranscript } from '../auth-facts.js';
import type { Frame } from '../frames.js';
import { signBytes } from '../signatures.js';
import { describeOutput, handshakeWorld, minionFrames, wire } from './handshake.fixture.js';
import { masterHandshake, stepMaster, type MasterHandshakeEvent } from './master-handshake.js';

type World = ReturnType<typeof handshakeWorld>;
type Frames = ReturnType<typeof minionFrames>;
/** One row of a script: an event, and the outputs it must produce, in words. */
type Row = [MasterHandshakeEvent, string[]];

const ACK = wire({ type: 'job.ack', jid: '20240102030405678901', attempt: 0, state: 'started' });

/** Runs a script through a fresh master machine, checking every step's outputs. */
function play(script: (w: World, f: Frames) => Row[]): void {
  const world = handshakeWorld();
  const frames = minionFrames(world);
  let state = masterHandshake(world.masterConfig);
  for (const [event, expected] of script(world, frames)) {
    const step = stepMaster(state, event);
    expect({ event: event.type, outputs: step.outputs.map(describeOutput) }).toEqual({
      event: event.type,
      outputs: expected,
    });
    state = step.state;
  }
}

/** A grains update signed by the world's minion over the master's nonce. */
function grainsUpdate(w: World, seq: number, signer = w.minion.privateKey): Frame {
  const grains = { os: 'Debian' };
  const signed = grainsUpdateTranscript({ id: 'web1', masterNonce: w.masterConfig.nonce, seq, grains });
  return wire({ type: 'grains.update', grains, seq, sig: signBytes(signer, signed) });
}

const open: Row = [{ type: 'open' }, []];
const hello = (f: Frames): Row => [{ type: 'frame', frame: f.hello }, ['send challenge']];
const auth = (f: Frames): Row => [{ type: 'frame', frame: f.auth }, ['admit web1']];
const accepted: Row = [
  { type: 'admitted', decision: 'accepted', random: 0.5 },
  ['release', 'send welcome 15000', 'authenticated web1'],
];

describe('stepMaster', () => {
  it('admits a minion frame by frame and ends its session at close', () =>
    play((_, f) => [
      open,
      hello(f),
      auth(f),
      accepted,
      [{ type: 'frame', frame: ACK }, ['deliver job.ack']],
      [{ type: 'closed' }, ['ended']],
      [{ type: 'frame', frame: ACK }, []],
    ]));

  it('refuses at once, with the gate delay, when the admission gate is busy', () =>
    play(() => [
      [
        { type: 'open', busy: { retryAfterMs: 250 } },
        ['send auth.refused ERR_AUTH_BUSY 250', 'close 1013 ERR_AUTH_BUSY'],
      ],
      [{ type: 'closed' }, []],
    ]));

  it.each([
    ['pending', 'ERR_KEY_PENDING', 'log info minion not admitted', 1008],
    ['rejected', 'ERR_KEY_REJECTED', 'log info minion not admitted', 1008],
    ['denied', 'ERR_KEY_DENIED', 'log info minion not admitted', 1008],
    ['limited', 'ERR_AUTH_BUSY', 'log debug new minion key not recorded: pending-key limit reached', 1013],
  ] as const)('refuses a %s key with %s and a jittered retry delay', (decision, code, line, wsCode) =>
    play((_, f) => [
      open,
      hello(f),
      auth(f),
      [
        { type: 'admitted', decision, random: 0.25 },
        [line, `send auth.refused ${code} 750`, `close ${wsCode} ${code}`, 'release'],
      ],
      [{ type: 'closed' }, []],
    ]),
  );

  it.each([
    ['auth before hello', (f: Frames) => f.auth, 'ERR_FRAME_NOT_ALLOWED'],
    ['a job ack before authentication', () => ACK, 'ERR_FRAME_NOT_ALLOWED'],
    ['a frame only the master sends', () => wire({ type: 'welcome', heartbeatMs: 1 }), 'ERR_FRAME_NOT_ALLOWED'],
    ['a hello with a bad minion id', (f: Frames) => ({ ...f.hello, id: '../etc' }), 'ERR_MINION_ID_INVALID'],
    ['a hello with a short nonce', (f: Frames) => ({ ...f.hello, nonce: new Uint8Array(8) }), 'ERR_FRAME_SCHEMA'],
    ['a hello with a short key', (f: Frames) => ({ ...f.hello, pub: new Uint8Array(31) }), 'ERR_FRAME_SCHEMA'],
  ] as const)('closes on %s in the hello phase', (_, frame, code) =>
    play((__, f) => [
      open,
      [{ type: 'frame', frame: frame(f) as Frame }, [`send error ${code}`, `close 1008 ${code}`, 'release']],
      [{ type: 'frame', frame: f.hello }, []],
    ]),
  );

  it('closes on a second hello and on an auth whose proof does not verify', () => {
    play((_, f) => [
      open,
      hello(f),
      [
        { type: 'frame', frame: f.hello },
        ['send error ERR_FRAME_NOT_ALLOWED', 'close 1008 ERR_FRAME_NOT_ALLOWED', 'release'],
      ],
    ]);
    play((_, f) => [
      open,
      hello(f),
      [
        { type: 'frame', frame: { ...f.auth, grains: { os: 'forged' } } },
        ['send error ERR_SIGNATURE_INVALID', 'close 1008 ERR_SIGNATURE_INVALID', 'release'],
      ],
    ]);
  });

  it('closes on the deadline, on undecodable bytes and on a peer error, with their close codes', () => {
    play(() => [
      open,
      [{ type: 'timeout' }, ['send error ERR_AUTH_TIMEOUT', 'close 1008 ERR_AUTH_TIMEOUT', 'release']],
    ]);
    play(() => [
      open,
      [
        { type: 'bad-frame', code: 'ERR_FRAME_TOO_LARGE', message: 'too large' },
        ['send error ERR_FRAME_TOO_LARGE', 'close 1009 ERR_FRAME_TOO_LARGE', 'release'],
      ],
    ]);
    play(() => [
      open,
      [
        { type: 'frame', frame: wire({ type: 'error', code: 'x'.repeat(80), message: 'bye' }) },
        [`send error ${'x'.repeat(64)}`, `close 1000 ${'x'.repeat(64)}`, 'release'],
      ],
    ]);
  });

  it('delivers grains updates signed in this session with a rising sequence, and closes on any other', () =>
    play((w, f) => [
      open,
      hello(f),
      auth(f),
      accepted,
      [{ type: 'frame', frame: grainsUpdate(w, 1) }, ['deliver grains.update']],
      [{ type: 'frame', frame: grainsUpdate(w, 3) }, ['deliver grains.update']],
      [
        { type: 'frame', frame: grainsUpdate(w, 3) },
        ['send error ERR_SIGNATURE_INVALID', 'close 1008 ERR_SIGNATURE_INVALID'],
      ],
      [{ type: 'closed' }, ['ended']],
    ]));

  it('refuses a grains update signed by another key', () =>
    play((w, f) => [
      open,
      hello(f),
      auth(f),
      accepted,
      [
        { type: 'frame', frame: grainsUpdate(w, 1, w.master.privateKey) },
        ['send error ERR_SIGNATURE_INVALID', 'close 1008 ERR_SIGNATURE_INVALID'],
      ],
    ]));

  it('tells a kicked minion why and still delivers what is in flight', () =>
    play((_, f) => [
      open,
      hello(f),
      auth(f),
      accepted,
      [{ type: 'kick', reason: 'key_rejected' }, ['send error key_rejected', 'close 1008 key_rejected']],
      [{ type: 'frame', frame: ACK }, ['deliver job.ack']],
    ]));

  it('signs a challenge the minion can check: both nonces, the certificate and the minion key', () => {
    const world = handshakeWorld();
    const { hello: h } = minionFrames(world);
    const opened = stepMaster(masterHandshake(world.masterConfig), { type: 'open' }).state;
    const out = stepMaster(opened, { type: 'frame', frame: h }).outputs[0];
    expect(out?.type === 'send' && out.frame.type === 'challenge' && out.frame).toMatchObject({
      masterPub: world.masterConfig.publicRaw,
      nonce: world.masterConfig.nonce,
      certFp: world.certFp,
    });
  });
});
