import { describe, expect, it } from 'vitest';
import type { Frame } from '../frames.js';
import { fingerprint, generateMemoryKeyPair } from '../signatures.js';
import { describeOutput, handshakeWorld, sent, wire } from './handshake.fixture.js';
import { masterHandshake, stepMaster, type MasterHandshakeState } from './master-handshake.js';
import { minionHandshake, stepMinion, type MinionHandshakeEvent } from './minion-handshake.js';

type World = ReturnType<typeof handshakeWorld>;
/** One row of a script: an event, and the outputs it must produce, in words. */
type Row = [MinionHandshakeEvent, string[]];

const FACTS = { grains: { os: 'Ubuntu' }, running: ['20240102030405678901'] };
const PUBLISH = wire({ type: 'job.cancel', jid: '20240102030405678901' });

/** The master's challenge to this world's minion, signed by `signer` (the master by default). */
function challengeFor(w: World, over: Partial<Frame<'challenge'>> = {}, masterConfig = w.masterConfig): Frame {
  let master: MasterHandshakeState = stepMaster(masterHandshake(masterConfig), { type: 'open' }).state;
  const opened = stepMinion(minionHandshake(w.minionConfig), { type: 'open', certFp: w.certFp });
  const step = stepMaster(master, { type: 'frame', frame: wire(sent(opened.outputs)[0]!) });
  master = step.state;
  return { ...wire(sent(step.outputs)[0]!), ...over } as Frame;
}

/** Runs a script through a fresh minion machine, checking every step's outputs. */
function play(script: (w: World) => Row[]): void {
  const world = handshakeWorld();
  let state = minionHandshake(world.minionConfig);
  for (const [event, expected] of script(world)) {
    const step = stepMinion(state, event);
    expect({ event: event.type, outputs: step.outputs.map(describeOutput) }).toEqual({
      event: event.type,
      outputs: expected,
    });
    state = step.state;
  }
}

const open = (w: World): Row => [{ type: 'open', certFp: w.certFp }, ['send hello']];
const challenge = (w: World): Row => [{ type: 'frame', frame: challengeFor(w) }, ['check-pin']];
const pinned: Row = [{ type: 'pinned', pin: { ok: true, firstUse: false }, facts: FACTS }, ['trusted', 'send auth']];
const welcome: Row = [{ type: 'frame', frame: wire({ type: 'welcome', heartbeatMs: 5000 }) }, ['ready 5000']];

describe('stepMinion', () => {
  it('authenticates frame by frame and then passes the session frames on', () =>
    play((w) => [open(w), challenge(w), pinned, welcome, [{ type: 'frame', frame: PUBLISH }, ['deliver job.cancel']]]));

  it('pins the master key on first use with a warning', () =>
    play((w) => [
      open(w),
      challenge(w),
      [
        { type: 'pinned', pin: { ok: true, firstUse: true }, facts: FACTS },
        ['log warn TRUSTING MASTER KEY ON FIRST USE; pinned from now on', 'trusted', 'send auth'],
      ],
    ]));

  it('refuses a master whose key is not the pinned one, and then ignores it', () =>
    play((w) => [
      open(w),
      challenge(w),
      [
        { type: 'pinned', pin: { ok: false, expected: 'aa', got: 'bb' }, facts: FACTS },
        ['log error MASTER KEY MISMATCH: refusing this master; will retry', 'fail ERR_MASTER_KEY_MISMATCH'],
      ],
      [{ type: 'frame', frame: wire({ type: 'welcome', heartbeatMs: 5000 }) }, []],
    ]));

  it.each([
    [
      'a challenge for another TLS certificate',
      (w: World) => challengeFor(w, { certFp: 'other' }),
      'ERR_MASTER_KEY_MISMATCH',
    ],
    [
      'a challenge with a bad signature',
      (w: World) => challengeFor(w, { sig: new Uint8Array(64) }),
      'ERR_SIGNATURE_INVALID',
    ],
    [
      'a challenge signed by another key than the one it shows',
      (w: World) => {
        const other = generateMemoryKeyPair();
        return challengeFor(
          w,
          { masterPub: w.masterConfig.publicRaw },
          { ...w.masterConfig, privateKey: other.privateKey },
        );
      },
      'ERR_SIGNATURE_INVALID',
    ],
    ['a welcome before the challenge', () => wire({ type: 'welcome', heartbeatMs: 1 }), 'ERR_FRAME_NOT_ALLOWED'],
  ] as const)('fails on %s', (_, frame, code) =>
    play((w) => [open(w), [{ type: 'frame', frame: frame(w) }, [`fail ${code}`]]]),
  );

  it('fails on anything but welcome after authenticating, and on undecodable bytes', () => {
    play((w) => [open(w), challenge(w), pinned, [{ type: 'frame', frame: PUBLISH }, ['fail ERR_FRAME_NOT_ALLOWED']]]);
    play((w) => [
      open(w),
      [{ type: 'bad-frame', code: 'ERR_FRAME_MALFORMED', message: 'bad' }, ['fail ERR_FRAME_MALFORMED']],
    ]);
  });

  it.each([
    ['before the master proved its key, capped at the backoff cap', false, 3_600_000, 30_000],
    ['after the master proved its key, capped at ten minutes', true, 3_600_000, 600_000],
    ['never sooner than 100 ms', true, 0, 100],
  ] as const)('honours a refusal %s', (_, proven, asked, ms) =>
    play((w) => [
      open(w),
      ...(proven ? [challenge(w), pinned] : []),
      [
        {
          type: 'frame',
          frame: wire({ type: 'auth.refused', code: 'ERR_KEY_PENDING', message: 'm', retryAfterMs: asked }),
        },
        [`retry-after ${ms}`, 'log warn master refused authentication', 'close'],
      ],
    ]),
  );

  it('logs a master error frame and waits for the master to close', () =>
    play((w) => [
      open(w),
      [
        { type: 'frame', frame: wire({ type: 'error', code: 'ERR_AUTH_TIMEOUT', message: 'late' }) },
        ['log warn master closed the connection'],
      ],
    ]));

  it('signs grains updates only in a session, with a rising sequence', () =>
    play((w) => [
      open(w),
      [{ type: 'send-grains', grains: { os: 'x' } }, []],
      challenge(w),
      pinned,
      welcome,
      [{ type: 'send-grains', grains: { os: 'x' } }, ['send grains.update 1']],
      [{ type: 'send-grains', grains: { os: 'y' } }, ['send grains.update 2']],
    ]));
});

describe('the two machines', () => {
  it('complete a handshake through the wire, and the master accepts the minion grains updates', () => {
    const w = handshakeWorld();
    let master = stepMaster(masterHandshake(w.masterConfig), { type: 'open' }).state;
    let minion = minionHandshake(w.minionConfig);
    const log: string[] = [];
    let toMaster = sent(stepMinion(minion, { type: 'open', certFp: w.certFp }).outputs);
    minion = stepMinion(minion, { type: 'open', certFp: w.certFp }).state;
    for (let round = 0; round < 5 && toMaster.length > 0; round++) {
      const toMinion = [];
      for (const f of toMaster) {
        const step = stepMaster(master, { type: 'frame', frame: wire(f) });
        master = step.state;
        for (const o of step.outputs) {
          log.push(`master ${describeOutput(o)}`);
          if (o.type === 'send') toMinion.push(o.frame);
          if (o.type === 'admit') {
            const admitted = stepMaster(master, { type: 'admitted', decision: 'accepted', random: 0 });
            master = admitted.state;
            for (const a of admitted.outputs) {
              log.push(`master ${describeOutput(a)}`);
              if (a.type === 'send') toMinion.push(a.frame);
            }
          }
        }
      }
      toMaster = [];
      for (const f of toMinion) {
        let step = stepMinion(minion, { type: 'frame', frame: wire(f) });
        if (step.outputs[0]?.type === 'check-pin')
          step = stepMinion(step.state, { type: 'pinned', pin: { ok: true, firstUse: false }, facts: FACTS });
        minion = step.state;
        for (const o of step.outputs) {
          log.push(`minion ${describeOutput(o)}`);
          if (o.type === 'trusted') expect(o.fingerprint).toBe(fingerprint(w.masterConfig.publicRaw));
          if (o.type === 'send') toMaster.push(o.frame);
        }
      }
    }
    expect(log).toEqual([
      'master send challenge',
      'minion trusted',
      'minion send auth',
      'master admit web1',
      'master release',
      'master send welcome 15000',
      'master authenticated web1',
      'minion ready 15000',
    ]);
    const update = sent(stepMinion(minion, { type: 'send-grains', grains: { os: 'z' } }).outputs)[0]!;
    expect(stepMaster(master, { type: 'frame', frame: wire(update) }).outputs.map(describeOutput)).toEqual([
      'deliver grains.update',
    ]);
  });
});
