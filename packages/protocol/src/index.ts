export {
  ApiErrorCode,
  ErrorCode,
  ProtocolError,
  TargetSyntaxError,
  type ApiErrorCodeValue,
  type ErrorCodeValue,
  type WireError,
} from './errors.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_TYPES,
  Outcome,
  PROTOCOL_VERSION,
  ProgressStream,
  TargetType,
  frameSchema,
  isFrameType,
  jobSpecSchema,
  type Frame,
  type FrameInput,
  type FrameType,
  type JobSpec,
  type OutcomeValue,
  type ProgressStreamValue,
  type TargetTypeValue,
} from './frames.js';
export {
  MAX_FRAME_DEPTH,
  decodeFrame,
  decodeValue,
  encodeFrame,
  encodeValue,
  type DecodeOptions,
  type DecodeResult,
} from './codec.js';
export {
  SignContext,
  fingerprint,
  generateKeyPair,
  generateMemoryKeyPair,
  loadKeyPair,
  publicKeyFromRaw,
  signBytes,
  transcript,
  verifyBytes,
  type KeyPair,
} from './signatures.js';
export { MAX_MINION_ID_LENGTH, createJidGenerator, jidTimeMs, validateMinionId } from './ids.js';
export { compileGlob, globMatch, globToRegExp, isGlob, type GlobOptions } from './glob.js';
export { compileTarget, expandNodegroups, targetUsesPillar, type ExpandedTarget } from './targeting.js';
export { MAX_TARGET_DEPTH, MAX_TARGET_TERMS } from './compound-parser.js';
export { grainAt } from './grain-matchers.js';
export { ipv4ToInt, splitTargetList } from './target-matchers.js';
export { MAX_REGEX_LENGTH, MAX_REGEX_PROGRAM_SIZE, safeRegex, type SafeRegex, type SafeRegexResult } from './pcre.js';
export type {
  CompiledTarget,
  NodegroupDefinition,
  TargetError,
  TargetFacts,
  TargetMatcher,
  TargetOptions,
} from './target-types.js';
export { authFactsDigest, grainsUpdateTranscript, type AuthFacts, type GrainsUpdateFacts } from './auth-facts.js';
export { publishFrames, signJob, verifyJob, type VerifiedJob } from './jobs.js';
export {
  AUDIENCE_PAGE_SIZE,
  buildAudience,
  inAudience,
  verifyAudienceProof,
  type AudienceCommitment,
  type AudienceProof,
  type AudienceTree,
  type ProvenNodes,
} from './audience.js';
export {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_JOB_TIMEOUT_MS,
  isReturned,
  jobRequestSchema,
  type ApiError,
  type JobRequest,
  type JobRequestInput,
  type JobStreamEvent,
  type JobSummary,
  type MinionResult,
} from './api.js';
export {
  Reason,
  didNotReturnLine,
  formatSeconds,
  reasonForOutcome,
  type DidNotReturnOptions,
  type NonReturn,
  type ReasonValue,
} from './outcome-reasons.js';
export {
  EXTEND_KINDS,
  EXTEND_LISTING_MAX_AGE_MS,
  signExtendListing,
  verifyExtendListing,
  type ExtendEntry,
  type ExtendKind,
  type SignedExtendListing,
} from './extend-listing.js';
export { FUN_LIST, FUN_NAME, MAX_COMPOUND_FUNCTIONS, isCompound, jobCalls, type FunctionCall } from './compound-job.js';
export { KEY_STATE_ALIASES, type KeyStateName } from './key-states.js';
export { CloseCode, closeReason } from './handshake/close-code.js';
export { FRAME_SENDERS, mayReceive, type Sender } from './handshake/frame-senders.js';
export {
  masterHandshake,
  stepMaster,
  type AdmitDecision,
  type MasterHandshakeConfig,
  type MasterHandshakeEvent,
  type MasterHandshakeOutput,
  type MasterHandshakeState,
} from './handshake/master-handshake.js';
export {
  minionHandshake,
  stepMinion,
  type MinionHandshakeConfig,
  type MinionHandshakeEvent,
  type MinionHandshakeOutput,
  type MinionHandshakeState,
  type AuthFacts as HandshakeAuthFacts,
  type PinResult,
} from './handshake/minion-handshake.js';
export type { HandshakeLog, Step } from './handshake/step.js';
