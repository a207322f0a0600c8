import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body's bytes as received, for webhook signatures; undefined without a body. */
    rawBody: Buffer | undefined;
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
 * Replaces fastify's body parsers so every route sees the raw bytes (`req.rawBody`, which webhook
 * signatures are computed over) beside the parsed body: JSON (with fastify's prototype-poisoning
 * checks), forms (salt-api clients send them), and anything else as a Buffer.
 */
export function installBodyParsers(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.decorateRequest('rawBody', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    req.rawBody = body as Buffer;
    json(req, (body as Buffer).toString('utf8'), done);
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
