import type { FastifyReply, FastifyRequest } from 'fastify';
import { stringify as stringifyYaml } from 'yaml';
import { HttpError } from '../shared/errors.js';
import { ApiErrorCode } from '@brine/protocol';

/** The output formats salt-api serves, in its order of preference (rest_cherrypy's `ct_out_map`). */
export const SALT_OUTPUT_TYPES = ['application/json', 'application/x-yaml'] as const;
/** One of {@link SALT_OUTPUT_TYPES}. */
export type SaltOutputType = (typeof SALT_OUTPUT_TYPES)[number];

/**
 * Picks the output format of a salt-api answer from the Accept header, as CherryPy's
 * `cptools.accept` does for rest_cherrypy: no header gives JSON; otherwise the highest-q range
 * that names a served type (`*` and `application/*` give JSON); undefined when none does (406).
 */
export function saltOutputType(accept: string | undefined): SaltOutputType | undefined {
  if (accept === undefined || accept.trim() === '') return SALT_OUTPUT_TYPES[0];
  const ranges = accept
    .split(',')
    .map((part, i) => {
      const [type = '', ...params] = part.split(';').map((x) => x.trim().toLowerCase());
      const q = params.find((p) => p.startsWith('q='));
      return { type, q: q === undefined ? 1 : Number(q.slice(2)) || 0, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { type } of ranges) {
    if (type === '*/*' || type === 'application/*') return SALT_OUTPUT_TYPES[0];
    const exact = SALT_OUTPUT_TYPES.find((t) => t === type);
    if (exact) return exact;
    if (type === 'text/yaml') return 'application/x-yaml';
  }
  return undefined;
}

/** 406: the Accept header names no format salt-api serves. */
export class NotAcceptableError extends HttpError {
  /** Makes a 406 answer with `ERR_NOT_ACCEPTABLE`. */
  constructor() {
    super(406, ApiErrorCode.notAcceptable, `Content type not supported; accept one of ${SALT_OUTPUT_TYPES.join(', ')}`);
  }
}

/**
 * Serializes an answer in a negotiated format (YAML in block style, as Salt's `safe_dump`). A
 * string is taken as already serialized: fastify hands a reply's serializer strings too.
 */
export function serializeSalt(type: SaltOutputType, payload: unknown): string {
  if (typeof payload === 'string') return payload;
  return type === 'application/x-yaml' ? stringifyYaml(payload) : JSON.stringify(payload);
}

/**
 * Sets a salt-api reply's content type and serializer from the request's Accept header; throws
 * {@link NotAcceptableError} when it accepts neither JSON nor YAML.
 */
export function negotiateSalt(req: FastifyRequest, reply: FastifyReply): SaltOutputType {
  const type = saltOutputType(req.headers.accept);
  if (type === undefined) throw new NotAcceptableError();
  reply.type(type);
  reply.serializer((payload: unknown) => serializeSalt(type, payload));
  return type;
}

/**
 * An error as the salt-api dialect answers it: `{status, return}` as rest_cherrypy's handler
 * shapes errors, and 401 where the native API says 403 (salt-api raises 401 for any eauth
 * failure; clients print "authentication denied" on 401 and crash on 403). `code` stays, for
 * clients that want Brine's reason.
 */
export function saltErrorBody(status: number, code: string, message: string): { status: number; body: unknown } {
  const shown = status === 403 ? 401 : status;
  return { status: shown, body: { status: shown, return: message, code } };
}
