import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { PermissionValue, Principal } from '../auth/auth.js';

/** What a handler receives: the request, its principal, and its validated parts. */
export interface RouteContext<B = unknown, Q = unknown, P = unknown> {
  req: FastifyRequest;
  reply: FastifyReply;
  principal: Principal;
  body: B;
  query: Q;
  params: P;
}

/** Which API a route belongs to: the OpenAPI document groups routes by it. */
export type RouteTag = 'jobs' | 'minions' | 'keys' | 'events' | 'auth' | 'hooks' | 'ops' | 'salt-api' | 'console';

/** A route with typed schemas, as route files write it; {@link route} erases the types. */
export interface RouteDef<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  permission: PermissionValue;
  /** One line for the OpenAPI document. */
  summary: string;
  tag: RouteTag;
  body?: B;
  query?: Q;
  params?: P;
  /** Status of a success. @default 200 */
  status?: number;
  /** Content type of a success, when not JSON (streams, metrics), or `websocket` for an upgrade. */
  produces?: string;
  /** Also read the token from `?token=` (EventSource cannot set headers). @default false */
  queryToken?: boolean;
  /** Also read the token from the `:token` path parameter (salt-api's `/ws/<token>`). @default false */
  pathToken?: boolean;
  handler(ctx: RouteContext<z.output<B>, z.output<Q>, z.output<P>>): Promise<unknown>;
}

/** One registered route, as the router, the OpenAPI document and the auth-matrix test see it. */
export type RouteSpec = Omit<RouteDef<z.ZodType, z.ZodType, z.ZodType>, 'handler'> & {
  handler(ctx: RouteContext): Promise<unknown>;
};

/** Declares a route, checking its handler against its schemas. */
export function route<
  B extends z.ZodType = z.ZodUnknown,
  Q extends z.ZodType = z.ZodUnknown,
  P extends z.ZodType = z.ZodUnknown,
>(def: RouteDef<B, Q, P>): RouteSpec {
  return def as unknown as RouteSpec;
}

/** Makes a group of routes from the services it names (a `Pick<>` of the master's services and its own). */
export type RouteFactory<S> = (s: S) => RouteSpec[];
