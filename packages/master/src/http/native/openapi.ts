import { z } from 'zod';
import { Permission } from '../auth/auth.js';
import type { RouteSpec } from '../shared/route.js';
import { ApiErrorCode } from '@brine/protocol';

type Json = Record<string, unknown>;

/** The `produces` of a route that serves a WebSocket upgrade. */
export const WEBSOCKET = 'websocket';

const errorSchema: Json = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string', example: ApiErrorCode.forbidden }, message: { type: 'string' }, data: {} },
};

function jsonSchema(schema: z.ZodType): Json {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
}

/** `/api/v1/jobs/:jid` → `/api/v1/jobs/{jid}`; a trailing `*` becomes `{path}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z_]+)/g, '{$1}').replace(/\*$/, '{path}');
}

function parameters(spec: RouteSpec): Json[] {
  const out: Json[] = [];
  const pathNames = [...spec.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
  if (spec.url.endsWith('*')) pathNames.push('path');
  const params = spec.params ? (jsonSchema(spec.params)['properties'] as Json | undefined) : undefined;
  for (const name of pathNames)
    out.push({ name, in: 'path', required: true, schema: (params?.[name] as Json | undefined) ?? { type: 'string' } });
  if (spec.query) {
    const q = jsonSchema(spec.query);
    const required = new Set((q['required'] as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((q['properties'] as Json | undefined) ?? {}))
      out.push({ name, in: 'query', required: required.has(name), schema });
  }
  return out;
}

function responses(spec: RouteSpec): Json {
  if (spec.produces === WEBSOCKET) {
    // A WebSocket route answers its upgrade with 101; a request without one is an error.
    const out: Json = { '101': { description: 'switching to the WebSocket protocol' } };
    out['401'] = { description: 'no valid credential' };
    return out;
  }
  const ok = String(spec.status ?? 200);
  const content = spec.produces
    ? { [spec.produces]: { schema: { type: 'string' } } }
    : { 'application/json': { schema: {} } };
  const err = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const out: Json = { [ok]: { description: 'success', content }, '400': err('invalid request') };
  if (spec.permission !== Permission.public) out['401'] = err('no valid credential');
  if (spec.permission !== Permission.public && spec.permission !== Permission.hook)
    out['403'] = err('not allowed by the ACL');
  return out;
}

function operation(spec: RouteSpec): Json {
  const open = spec.permission === Permission.public || spec.permission === Permission.hook;
  const op: Json = {
    summary: spec.summary,
    tags: [spec.tag],
    'x-brine-permission': spec.permission,
    security: open ? [] : [{ bearer: [] }, { xAuthToken: [] }],
    parameters: parameters(spec),
    responses: responses(spec),
  };
  if (spec.body) {
    const schema = jsonSchema(spec.body);
    const content: Json = { 'application/json': { schema } };
    if (spec.tag === 'salt-api') content['application/x-www-form-urlencoded'] = { schema };
    op['requestBody'] = { required: spec.method === 'POST' && spec.permission !== Permission.hook, content };
  } else if (spec.permission === Permission.hook) {
    op['requestBody'] = { content: { '*/*': { schema: {} } } };
  }
  return op;
}

/** Builds the OpenAPI 3.1 document of the API from its route table and zod schemas. */
export function buildOpenApi(routes: readonly RouteSpec[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const spec of routes) (paths[openApiPath(spec.url)] ??= {})[spec.method.toLowerCase()] = operation(spec);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Brine master REST API',
      version,
      description: 'Native API under /api/v1, salt-api (rest_cherrypy) compatibility at the root. See docs/api.md.',
    },
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        xAuthToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
      },
    },
  };
}
