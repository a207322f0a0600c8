export { ErrorCode, ProtocolError, type ErrorCodeValue, type WireError } from './errors.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_TYPES,
  Outcome,
  PROTOCOL_VERSION,
  TargetType,
  frameSchema,
  isFrameType,
  jobSpecSchema,
  type Frame,
  type FrameInput,
  type FrameType,
  type JobSpec,
  type OutcomeValue,
  type TargetTypeValue,
} from './frames.js';
export { decodeFrame, decodeValue, encodeFrame, encodeValue, type DecodeOptions, type DecodeResult } from './codec.js';
export {
  SignContext,
  fingerprint,
  generateKeyPair,
  loadKeyPair,
  publicKeyFromRaw,
  signBytes,
  transcript,
  verifyBytes,
  type KeyPair,
} from './signatures.js';
export { MAX_MINION_ID_LENGTH, createJidGenerator, jidTimeMs, validateMinionId } from './ids.js';
export { globMatch, globToRegExp, isGlob } from './glob.js';
export {
  compileTarget,
  grainAt,
  ipv4ToInt,
  type CompiledTarget,
  type TargetError,
  type TargetFacts,
  type TargetOptions,
} from './targeting.js';
export { signJob, verifyJob, type VerifiedJob } from './jobs.js';
export {
  ApiErrorCode,
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
