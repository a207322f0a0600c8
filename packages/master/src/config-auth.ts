import { jobRequestSchema } from '@brine/protocol';
import { z } from 'zod';

/**
 * A password hash as `brine-token hash-password` prints it: scrypt with its cost parameters,
 * salt and key in base64 (`scrypt$ln=15,r=8,p=1$<salt>$<key>`).
 */
export const PASSWORD_HASH_PATTERN =
  /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{22,}={0,2})\$([A-Za-z0-9+/]{43,}={0,2})$/;

/** Names of users, groups and hooks: what may appear in an audit line and an event tag. */
export const ACCOUNT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

const userSchema = z
  .object({
    /** scrypt hash of the password; a user without one can only use tokens made for it. */
    password_hash: z
      .string()
      .regex(PASSWORD_HASH_PATTERN, 'expected scrypt$ln=..,r=..,p=..$salt$key (brine-token hash-password)')
      .optional(),
    /** Groups for `name%` ACL entries. */
    groups: z.array(z.string().regex(ACCOUNT_NAME_PATTERN)).default([]),
    /** A disabled user can neither log in nor use its tokens. */
    disabled: z.boolean().default(false),
  })
  .strict();

/** One user of the REST API. */
export type UserConfig = z.infer<typeof userSchema>;

const argPattern = z.string().nullable();
const argSpec = z
  .object({ args: z.array(argPattern).optional(), kwargs: z.record(z.string(), argPattern).optional() })
  .strict();
const funEntry = z.union([z.string().min(1), z.record(z.string().min(1), z.union([argSpec, z.array(argSpec)]))]);
const aclEntry = z.union([z.string().min(1), z.record(z.string().min(1), z.array(funEntry))]);

/**
 * Salt's external_auth shape: user (or `group%`, or `*`) to a list of grants. A grant is a
 * function glob (all minions), `{target: [function glob | {glob: {args, kwargs}}]}`, or an
 * area such as `@jobs`. See docs/api.md.
 */
export const aclSchema = z.record(z.string().min(1), z.array(aclEntry));

/** The `acl:` section of the master config. */
export type AclConfig = z.infer<typeof aclSchema>;

/** One grant of an ACL list. */
export type AclEntryConfig = z.infer<typeof aclEntry>;

/** One function grant inside a target grant. */
export type FunEntryConfig = z.infer<typeof funEntry>;

/** Argument patterns of a function grant. */
export type ArgSpecConfig = z.infer<typeof argSpec>;

const hookSchema = z
  .object({
    /** HMAC-SHA256 key the sender signs the raw body with. */
    secret: z.string().min(16, 'hook secrets are at least 16 characters'),
    /** A job to run when a signed request arrives: the body of `POST /api/v1/jobs`. */
    job: jobRequestSchema.optional(),
    /**
     * Also accept a signature of the body alone, without `X-Brine-Timestamp` (GitHub's
     * `X-Hub-Signature-256`). Such a request is refused again within `api.hook_max_age_s` but can
     * be replayed after it: only for senders that cannot sign a timestamp.
     */
    untimed: z.boolean().default(false),
  })
  .strict();

/** One webhook of the `hooks:` section. */
export type HookConfig = z.infer<typeof hookSchema>;

/** The auth options of the master config: users, their ACLs, webhooks. */
export const authConfigShape = {
  /** API users; `root` is the local admin credential and cannot be configured. */
  users: z
    .record(z.string().regex(ACCOUNT_NAME_PATTERN), userSchema)
    .default({})
    .refine((u) => !Object.hasOwn(u, 'root'), 'root is the local admin credential and cannot be a configured user'),
  acl: aclSchema.default({}),
  /** Signed webhooks, `POST /hooks/<name>`. */
  hooks: z.record(z.string().regex(ACCOUNT_NAME_PATTERN), hookSchema).default({}),
};

/** The auth options of `api:` in the master config. */
export const apiAuthShape = {
  /** Lifetime of a login token, in seconds (Salt's `token_expire`). */
  token_expire_s: z.number().int().positive().default(43_200),
  /** Longest lifetime `brine-token create --ttl` may ask for, in seconds. @default one year */
  max_token_ttl_s: z.number().int().positive().default(31_536_000),
  /** How far a webhook's signed `X-Brine-Timestamp` may be from the master's clock, in seconds. */
  hook_max_age_s: z.number().int().min(1).max(86_400).default(300),
  /** Failed logins from one address before each further one doubles a wait (1 s, 2 s, ...). */
  login_failures_per_address: z.number().int().min(0).default(10),
  /** Failed logins for one user name, from any address, before the same backoff applies to it. */
  login_failures_per_user: z.number().int().min(0).default(20),
  /** The longest login backoff, in seconds; also how long a failure count lasts without failures. */
  login_backoff_max_s: z.number().int().positive().default(900),
  /** Password checks (scrypt, about 32 MiB and 100 ms each) running at once. */
  login_max_concurrent: z.number().int().positive().default(2),
  /** Password checks waiting for a slot; past it a login answers 429. */
  login_max_queued: z.number().int().min(0).default(64),
  /** Logins from one address running or waiting at once; past it a login answers 429. */
  login_max_per_address: z.number().int().positive().default(2),
};
