import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseYaml } from 'yaml';
import { BadRequestError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body's bytes as received, for webhook signatures; undefined without a body. */
    rawBody: Buffer | undefined;
  }
  interface FastifyContextConfig {
    /** The route speaks the salt-api dialect: Salt's body rules, error shape and output formats. */
    salt?: boolean;
  }
}

/** Keys a parsed body never gets: they would reach `Object.prototype` through a careless merge. */
const POISONED = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses `application/x-www-form-urlencoded` as salt-api does: a repeated key becomes a list
 * (`arg=a&arg=b` → `{arg: ['a', 'b']}`); prototype keys are dropped.
 */
export function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    if (POISONED.has(k)) continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * Rewrites every integer literal of a JSON text that a double cannot hold exactly (beyond 2^53)
 * as a string of its digits, so `{"jid": 20260101010101123456}` keeps all 20 digits (Python,
 * which salt-api clients are written against, keeps them). Strings, fractions and safe integers
 * are left as they are. Linear in the text; malformed JSON passes through for the parser to refuse.
 */
export function quoteUnsafeIntegers(text: string): string {
  if (!/\d{16}/.test(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      continue;
    }
    if (c !== 0x2d /* - */ && (c < 0x30 || c > 0x39)) continue;
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) continue;
    const literal = m[0];
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(Number(literal))) {
      out += `${text.slice(from, i)}"${literal}"`;
      from = i + literal.length;
    }
    i += literal.length - 1;
  }
  return out + text.slice(from);
}

/** Whether the request's route speaks the salt-api dialect. */
export const isSaltRoute = (req: FastifyRequest): boolean => req.routeOptions.config?.salt === true;

/**
 * Replaces fastify's body parsers so every route sees the raw bytes (`req.rawBody`, which webhook
 * signatures are computed over) beside the parsed body: JSON (with fastify's prototype-poisoning
 * checks), forms (salt-api clients send them), `text/plain` as JSON when it is JSON and as the
 * text otherwise (rest_cherrypy's `text_processor`: a browser `fetch()` without a Content-Type
 * sends text/plain), YAML (rest_cherrypy's `yaml_processor`), and anything else as a Buffer.
 * On salt-api routes integers beyond 2^53 arrive as their digits (see {@link quoteUnsafeIntegers}).
 */
export function installBodyParsers(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  const parseJson = (req: FastifyRequest, text: string, done: (err: Error | null, body?: unknown) => void) =>
    json(req, isSaltRoute(req) ? quoteUnsafeIntegers(text) : text, (err, body) =>
      err && isSaltRoute(req) ? done(new BadRequestError('Invalid JSON document')) : done(err, body),
    );
  app.decorateRequest('rawBody', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    parseJson(req, (body as Buffer).toString('utf8'), done);
  });
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    const text = (body as Buffer).toString('utf8');
    parseJson(req, text, (err, parsed) => done(null, err ? text : parsed));
  });
  app.addContentTypeParser(['application/x-yaml', 'text/yaml'], { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    try {
      // The core schema: no custom tags, so a document cannot build anything but plain data.
      const doc: unknown = parseYaml((body as Buffer).toString('utf8'), { schema: 'core', maxAliasCount: 100 });
      done(
        null,
        JSON.parse(JSON.stringify(doc ?? null), (k, v: unknown) => (POISONED.has(k) ? undefined : v)),
      );
    } catch {
      done(new BadRequestError('Invalid YAML document'));
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    done(null, parseForm((body as Buffer).toString('utf8')));
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    done(null, body);
  });
}
