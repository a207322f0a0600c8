import type { KeyObject } from 'node:crypto';
import { authFactsDigest, grainsUpdateTranscript } from '../auth-facts.js';
import { ErrorCode } from '../errors.js';
import type { Frame, FrameInput } from '../frames.js';
import { SignContext, fingerprint, signBytes, transcript, verifyBytes } from '../signatures.js';
import type { HandshakeLog, Step } from './step.js';

/** What the minion side of a handshake knows before it connects; fixed for the connection. */
export interface MinionHandshakeConfig {
  id: string;
  privateKey: KeyObject;
  publicRaw: Uint8Array;
  /** 32 random bytes: the minion's nonce for this connection. */
  nonce: Uint8Array;
  version: string;
  /**
   * The longest retry delay a master that has not yet proven its key may ask for: ordinary
   * backoff's cap, so an impostor cannot park the minion.
   */
  backoffCapMs: number;
}

/** What a minion reports, signed, as it authenticates: its grains, running jobs and enrollment token. */
export type AuthFacts = Pick<Frame<'auth'>, 'grains' | 'running' | 'enrollToken'>;

/** The outcome of checking the master's key against the pinned one. */
export type PinResult = { ok: true; firstUse: boolean } | { ok: false; expected: string; got: string };

/** What the shell tells the minion machine. */
export type MinionHandshakeEvent =
  /** The socket is open; `certFp` is the fingerprint of the certificate TLS showed ('' on plain ws). */
  | { type: 'open'; certFp: string }
  /** A decoded frame from the master. */
  | { type: 'frame'; frame: Frame }
  /** Bytes that did not decode (or a text frame), with the decoder's code. */
  | { type: 'bad-frame'; code: string; message: string }
  /** The answer to a `check-pin` output, with the facts to sign into the authentication. */
  | { type: 'pinned'; pin: PinResult; facts: AuthFacts }
  /** Send fresh grains in the session, signed over it (issue #13). */
  | { type: 'send-grains'; grains: Record<string, unknown> };

/** What the minion machine asks its shell to do, in order. */
export type MinionHandshakeOutput =
  | { type: 'send'; frame: FrameInput }
  /** Check the master's key against the pinned one (pinning it on first use), then answer `pinned`. */
  | { type: 'check-pin'; masterPub: Uint8Array }
  /** The master proved this key. */
  | { type: 'trusted'; masterPub: Uint8Array; fingerprint: string }
  /** The session is authenticated; the master pings every `heartbeatMs`. */
  | { type: 'ready'; heartbeatMs: number }
  /** A frame of the authenticated session. */
  | { type: 'deliver'; frame: Frame }
  /** The master refused: wait this long before the next attempt, then close. */
  | { type: 'retry-after'; ms: number }
  /** Close the connection normally. */
  | { type: 'close' }
  /** Log `message` with `code` as a warning and cut the connection. */
  | { type: 'fail'; code: string; message: string }
  | HandshakeLog;

/** Where the minion side of a handshake stands. */
export interface MinionHandshakeState {
  readonly config: MinionHandshakeConfig;
  readonly phase: 'connecting' | 'challenge' | 'pinning' | 'welcome' | 'ready' | 'closed';
  readonly certFp: string;
  /** The challenge being pinned. */
  readonly challenge?: Frame<'challenge'>;
  /** The master's challenge nonce, which grains updates are signed over. */
  readonly masterNonce?: Uint8Array;
  /** The last grains update's sequence number. */
  readonly grainsSeq: number;
}

/** The longest retry delay a master that proved its key may ask for. */
const MAX_RETRY_AFTER_MS = 600_000;

/** The minion side of a new connection, before the socket opens. */
export function minionHandshake(config: MinionHandshakeConfig): MinionHandshakeState {
  return { config, phase: 'connecting', certFp: '', grainsSeq: 0 };
}

const NOTHING: Step<never, never>['outputs'] = [];

/**
 * The minion side of the handshake as a pure function: it says hello, checks the master's
 * challenge (its signature over both nonces and the TLS certificate, then the pinned key), proves
 * its own key over the facts it reports, and waits for `welcome`; then it passes the session's
 * frames on and signs grains updates. A bad frame or a failed check ends in `fail`.
 */
export function stepMinion(
  s: MinionHandshakeState,
  e: MinionHandshakeEvent,
): Step<MinionHandshakeState, MinionHandshakeOutput> {
  if (s.phase === 'closed') return { state: s, outputs: NOTHING };
  switch (e.type) {
    case 'open': {
      const c = s.config;
      const hello: FrameInput = { type: 'hello', id: c.id, pub: c.publicRaw, nonce: c.nonce, version: c.version };
      return { state: { ...s, phase: 'challenge', certFp: e.certFp }, outputs: [{ type: 'send', frame: hello }] };
    }
    case 'bad-frame':
      return fail(s, e.code, e.message);
    case 'pinned':
      return s.phase === 'pinning' ? onPinned(s, e.pin, e.facts) : { state: s, outputs: NOTHING };
    case 'send-grains':
      return sendGrains(s, e.grains);
    case 'frame':
      return onFrame(s, e.frame);
  }
}

function onFrame(s: MinionHandshakeState, frame: Frame): Step<MinionHandshakeState, MinionHandshakeOutput> {
  if (frame.type === 'error')
    return { state: s, outputs: [log('warn', { code: frame.code }, 'master closed the connection')] };
  if (frame.type === 'auth.refused') {
    // Before the master proved its key (the challenge), it is a stranger: it may slow the next
    // attempt only as much as ordinary backoff would, or an impostor could park the minion.
    const ceiling = s.phase === 'challenge' ? s.config.backoffCapMs : MAX_RETRY_AFTER_MS;
    const ms = Math.max(100, Math.min(frame.retryAfterMs, ceiling));
    return {
      state: s,
      outputs: [
        { type: 'retry-after', ms },
        log('warn', { code: frame.code, retryAfterMs: ms }, 'master refused authentication'),
        { type: 'close' },
      ],
    };
  }
  switch (s.phase) {
    case 'challenge':
      return frame.type === 'challenge'
        ? onChallenge(s, frame)
        : fail(s, ErrorCode.FRAME_NOT_ALLOWED, `expected challenge, got ${frame.type}`);
    case 'welcome':
      if (frame.type !== 'welcome') return fail(s, ErrorCode.FRAME_NOT_ALLOWED, `expected welcome, got ${frame.type}`);
      return { state: { ...s, phase: 'ready' }, outputs: [{ type: 'ready', heartbeatMs: frame.heartbeatMs }] };
    case 'ready':
      return { state: s, outputs: [{ type: 'deliver', frame }] };
    default:
      return fail(s, ErrorCode.FRAME_NOT_ALLOWED, `${frame.type} not allowed now`);
  }
}

function onChallenge(
  s: MinionHandshakeState,
  frame: Frame<'challenge'>,
): Step<MinionHandshakeState, MinionHandshakeOutput> {
  const c = s.config;
  if (frame.certFp !== s.certFp)
    return fail(s, ErrorCode.MASTER_KEY_MISMATCH, 'master signed a different TLS certificate');
  const signed = transcript(SignContext.masterChallenge, [c.id, c.nonce, frame.nonce, s.certFp, c.publicRaw]);
  if (!verifyBytes(frame.masterPub, signed, frame.sig))
    return fail(s, ErrorCode.SIGNATURE_INVALID, 'master challenge signature invalid');
  return {
    state: { ...s, phase: 'pinning', challenge: frame },
    outputs: [{ type: 'check-pin', masterPub: frame.masterPub }],
  };
}

function onPinned(
  s: MinionHandshakeState,
  pin: PinResult,
  facts: AuthFacts,
): Step<MinionHandshakeState, MinionHandshakeOutput> {
  const c = s.config;
  const ch = s.challenge!;
  if (!pin.ok) {
    const r = fail(s, ErrorCode.MASTER_KEY_MISMATCH, 'master key does not match the pinned key');
    const mismatch = log(
      'error',
      { expected: pin.expected, got: pin.got },
      'MASTER KEY MISMATCH: refusing this master; will retry',
    );
    return { state: r.state, outputs: [mismatch, ...r.outputs] };
  }
  const masterFp = fingerprint(ch.masterPub);
  // The grains and running list are signed with the key, not left to TLS (issue #13).
  const sig = signBytes(
    c.privateKey,
    transcript(SignContext.minionAuth, [c.id, ch.nonce, c.nonce, ch.masterPub, s.certFp, authFactsDigest(facts)]),
  );
  const outputs: MinionHandshakeOutput[] = [];
  if (pin.firstUse)
    outputs.push(log('warn', { fingerprint: masterFp }, 'TRUSTING MASTER KEY ON FIRST USE; pinned from now on'));
  outputs.push(
    { type: 'trusted', masterPub: ch.masterPub, fingerprint: masterFp },
    { type: 'send', frame: { type: 'auth', sig, ...facts } },
  );
  const { challenge: _, ...rest } = s;
  return { state: { ...rest, phase: 'welcome', masterNonce: ch.nonce, grainsSeq: 0 }, outputs };
}

function sendGrains(
  s: MinionHandshakeState,
  grains: Record<string, unknown>,
): Step<MinionHandshakeState, MinionHandshakeOutput> {
  if (s.phase !== 'ready' || !s.masterNonce) return { state: s, outputs: NOTHING };
  const seq = s.grainsSeq + 1;
  const sig = signBytes(
    s.config.privateKey,
    grainsUpdateTranscript({ id: s.config.id, masterNonce: s.masterNonce, seq, grains }),
  );
  return {
    state: { ...s, grainsSeq: seq },
    outputs: [{ type: 'send', frame: { type: 'grains.update', grains, seq, sig } }],
  };
}

function fail(
  s: MinionHandshakeState,
  code: string,
  message: string,
): Step<MinionHandshakeState, MinionHandshakeOutput> {
  return { state: { ...s, phase: 'closed' }, outputs: [{ type: 'fail', code, message }] };
}

function log(level: HandshakeLog['level'], fields: Record<string, unknown>, msg: string): HandshakeLog {
  return { type: 'log', level, fields, msg };
}
