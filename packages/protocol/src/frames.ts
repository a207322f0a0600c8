import { FUN_LIST } from './compound-job.js';
import { z } from 'zod';
import { AUDIENCE_PAGE_SIZE } from './audience.js';
import { EXTEND_KINDS, signedExtendListingSchema } from './extend-listing.js';

/** The protocol version this code speaks; a frame with another `v` is refused. */
export const PROTOCOL_VERSION = 1;

/** Default largest frame either side accepts, in bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes' });
const jid = z.string().regex(/^\d{20}$/);
const minionId = z.string().min(1).max(255);
/** Plain JSON-like data: args, returns and grains. Checked for depth and keys by the codec. */
const data = z.unknown();
const grains = z.record(z.string(), z.unknown());

/** The outcomes a targeted minion can end a job with; exactly one per minion per job. */
export const Outcome = {
  returned: 'returned',
  timedOut: 'timed_out',
  offline: 'offline',
  noAck: 'no_ack',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
} as const;
export type OutcomeValue = (typeof Outcome)[keyof typeof Outcome];

/**
 * What a `job.progress` frame carries: a chunk of a process's `stdout` or `stderr`, or one
 * finished state of a state run (`state`: the JSON text of `{key, result}`, the result keyed
 * as Salt keys it), sent the moment it is known (issue #17).
 */
export const ProgressStream = {
  stdout: 'stdout',
  stderr: 'stderr',
  state: 'state',
} as const;
export type ProgressStreamValue = (typeof ProgressStream)[keyof typeof ProgressStream];

/** Target types, as in Salt's `-E -L -G -P -I -J -S -N -C` flags; `glob` is the default. */
export const TargetType = {
  glob: 'glob',
  list: 'list',
  pcre: 'pcre',
  grain: 'grain',
  grainPcre: 'grain_pcre',
  pillar: 'pillar',
  pillarPcre: 'pillar_pcre',
  ipcidr: 'ipcidr',
  nodegroup: 'nodegroup',
  compound: 'compound',
} as const;
export type TargetTypeValue = (typeof TargetType)[keyof typeof TargetType];
const targetType = z.enum(Object.values(TargetType) as [TargetTypeValue, ...TargetTypeValue[]]);

/**
 * What the master signs for a job: everything a minion needs to decide whether to run it.
 * `tgt` is the target as the minion evaluates it (nodegroups already expanded by the master).
 */
export const jobSpecSchema = z.object({
  jid,
  /** 0 for the first run; an execution retry is the same jid with the next attempt. */
  attempt: z.number().int().nonnegative().max(100),
  /** `module.function`, or several joined by commas (a compound job: `args` is one list each). */
  fun: z.string().max(2048).regex(FUN_LIST),
  args: z.array(data),
  kwargs: z.record(z.string(), data),
  tgt: z.union([z.string(), z.array(z.string())]),
  tgtType: targetType,
  /** Milliseconds since the epoch after which the minion must not start the job. */
  expiresAt: z.number().int().nonnegative(),
  /** How long the job may run on the minion, in milliseconds. */
  timeoutMs: z.number().int().positive(),
  /** Send output as `job.progress` frames while the job runs. */
  stream: z.boolean(),
  /** The master's public key fingerprint: the audience check for the signature. */
  master: z.string(),
  /**
   * The minions the job is sent to, as a Merkle commitment (audience.ts): a minion runs the job
   * only with a proof that its id is in it, so a captured job does not run on a minion the master
   * did not select (issue #13, finding 5).
   */
  audience: z.object({ root: bytes.refine((b) => b.byteLength === 32), count: z.number().int().positive() }),
});
export type JobSpec = z.infer<typeof jobSpecSchema>;

const frameSchemas = {
  /** Minion → master, first frame: who I am and my key, with a fresh nonce for the master. */
  hello: z.object({
    id: minionId,
    pub: bytes,
    nonce: bytes,
    version: z.string().max(64),
  }),
  /** Master → minion: the master's key, a nonce to sign, and its signature over the transcript. */
  challenge: z.object({ masterPub: bytes, nonce: bytes, certFp: z.string().max(128), sig: bytes }),
  /** Minion → master: proof of possession, plus what the master should know at connect. */
  auth: z.object({
    sig: bytes,
    grains,
    /** Jobs still running on this minion, so the master keeps them alive across a reconnect. */
    running: z.array(jid).max(10_000),
    enrollToken: z.string().max(256).optional(),
  }),
  /** Master → minion: authenticated and accepted. */
  welcome: z.object({ heartbeatMs: z.number().int().positive() }),
  /** Master → minion: not admitted now; `retryAfterMs` says when to try again. */
  'auth.refused': z.object({ code: z.string(), message: z.string(), retryAfterMs: z.number() }),
  /**
   * Master → minion: a signed job. `spec` is the msgpack of a {@link JobSpec}; `sig` covers it.
   * `proof` shows the receiving minion's id is in the spec's audience; it needs no signature of its
   * own, since it verifies against the signed root.
   */
  'job.publish': z.object({
    spec: bytes,
    sig: bytes,
    proof: z.object({
      page: z.number().int().nonnegative(),
      ids: z.array(minionId).min(1).max(AUDIENCE_PAGE_SIZE),
      path: bytes,
    }),
  }),
  /** Minion → master: the job was received; `started`, or refused with a code. */
  'job.ack': z.object({
    jid,
    attempt: z.number().int().nonnegative(),
    state: z.enum(['started', 'duplicate', 'refused']),
    code: z.string().max(64).optional(),
  }),
  /** Minion → master: live output of a running job. */
  'job.progress': z.object({
    jid,
    seq: z.number().int().nonnegative(),
    stream: z.enum(Object.values(ProgressStream) as [ProgressStreamValue, ...ProgressStreamValue[]]),
    data: z.string(),
  }),
  /** Minion → master: the job's result. `outcome` is `returned` or `interrupted`. */
  'job.return': z.object({
    jid,
    attempt: z.number().int().nonnegative(),
    fun: z.string().max(2048),
    outcome: z.enum(['returned', 'interrupted', 'cancelled', 'timed_out']),
    ret: data,
    retcode: z.number().int(),
    success: z.boolean(),
    startedAt: z.number(),
    endedAt: z.number(),
    /** The job finished before its ack was due, so no `job.ack` was sent: this return is the ack too. */
    implicitAck: z.boolean().optional(),
    /**
     * Set on a run of the minion's own schedule (issue #19): `jid` was made by the minion, not
     * published by the master, which records the job under a jid of its own for this minion only.
     */
    schedule: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
      .optional(),
  }),
  /** Master → minion: these returns are stored durably; drop them from the outbox. */
  'ret.ack': z.object({ items: z.array(z.tuple([jid, z.number().int().nonnegative()])).max(100_000) }),
  /** Master → minion: stop the job and kill its processes. */
  'job.cancel': z.object({ jid }),
  /** Minion → master: a minion-fired event; the master files it under `brine/minion/<id>/`. */
  event: z.object({ tag: z.string().min(1).max(256), data }),
  /**
   * Minion → master: fresh grains after a refresh or `grains.setval`, signed with the minion's key
   * over the session (the master's challenge nonce) and a sequence number that rises by one or
   * more per update, so an update cannot be changed, moved to another session or replayed.
   */
  'grains.update': z.object({ grains, seq: z.number().int().positive(), sig: bytes }),
  /** Minion → master: ask for a file from the master's file roots. */
  'file.request': z.object({
    reqId: z.number().int().nonnegative(),
    path: z.string().max(4096),
    offset: z.number().int().nonnegative(),
  }),
  /** Master → minion: one chunk of a requested file, or an error. */
  'file.chunk': z.object({
    reqId: z.number().int().nonnegative(),
    data: bytes,
    size: z.number().int().nonnegative(),
    sha256: z.string(),
    eof: z.boolean(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  /** Minion → master: list the files under the master's file roots. */
  'file.list': z.object({
    reqId: z.number().int().nonnegative(),
    prefix: z.string().max(4096),
    /** Asks instead for the master's signed listing of one kind of extension (issue #21). */
    extend: z.enum(EXTEND_KINDS).optional(),
  }),
  /** Master → minion: the list asked for; with `extend`, the signed listing of that kind. */
  'file.listing': z.object({
    reqId: z.number().int().nonnegative(),
    paths: z.array(z.string()),
    signed: signedExtendListingSchema.optional(),
  }),
  /**
   * Minion → master: send me my compiled pillar. `id`, when given, must be the minion's own: the
   * master answers only for the connection's id, and refuses and audits a request for another.
   */
  'pillar.get': z.object({
    reqId: z.number().int().nonnegative(),
    id: minionId.optional(),
    saltenv: z.string().min(1).max(64).optional(),
  }),
  /**
   * Master → minion: the minion's own compiled pillar, or why it did not compile (file:line in
   * `error.message`). `reqId` 0 is a push (on connect, after the files or grains changed).
   */
  'pillar.data': z.object({
    reqId: z.number().int().nonnegative(),
    pillar: z.record(z.string(), data),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  /**
   * Minion → master: the mine. `update` stores the minion's own entries (`data`: function → result;
   * with `clear`, replacing them all), `delete` drops its entry for `fun` (all without), `get`
   * reads `fun` from the minions `tgt` selects, as far as the master's mine access rule allows.
   */
  'mine.request': z.object({
    reqId: z.number().int().nonnegative(),
    op: z.enum(['update', 'delete', 'get']),
    fun: z.string().min(1).max(128).optional(),
    tgt: z.union([z.string().max(4096), z.array(z.string().max(255)).max(10_000)]).optional(),
    tgtType: targetType.optional(),
    data: z.record(z.string(), data).optional(),
    clear: z.boolean().optional(),
  }),
  /** Master → minion: the answer to a `mine.request`: for `get`, minion id → result. */
  'mine.response': z.object({
    reqId: z.number().int().nonnegative(),
    data,
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  /** Either side, before closing: why. */
  error: z.object({ code: z.string(), message: z.string() }),
} as const;

/** Every frame type of the protocol. */
export type FrameType = keyof typeof frameSchemas;
/** The frame of a given type, with its `type` and `v` fields. */
export type Frame<T extends FrameType = FrameType> = {
  [K in T]: { v: number; type: K } & z.infer<(typeof frameSchemas)[K]>;
}[T];
/** A frame as a caller builds it: `v` is filled in by the codec. */
export type FrameInput<T extends FrameType = FrameType> = {
  [K in T]: { type: K } & z.input<(typeof frameSchemas)[K]>;
}[T];

/** The names of all frame types, for tables and tests. */
export const FRAME_TYPES = Object.keys(frameSchemas) as FrameType[];

/** The schema for one frame type's body (without `v` and `type`). */
export function frameSchema(type: FrameType): z.ZodType {
  return frameSchemas[type];
}

/** Whether `type` names a frame type of this protocol. */
export function isFrameType(type: unknown): type is FrameType {
  return typeof type === 'string' && Object.hasOwn(frameSchemas, type);
}
