import { readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { z } from 'zod';
import { Permission } from '../auth/auth.js';
import { NotFoundError } from '../shared/errors.js';
import { route, type RouteSpec } from '../shared/route.js';
import type { MasterServices } from '../shared/services.js';

/**
 * The console's Content-Security-Policy: scripts, styles and connections only from this origin,
 * no inline script or style element, no plugins, no framing (issue #22). The API is the same
 * origin, so `connect-src 'self'` is all the console needs; nothing is fetched from elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Content types of the files a Vite build writes. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A path under `/ui/`: plain file names only, so nothing walks out of the console's directory. */
const fileParams = z.object({
  '*': z
    .string()
    .max(200)
    .regex(/^(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*$/, 'a console file name'),
});

/**
 * Reads a file of the built console, or undefined when it is missing or not inside `dir` (a
 * symlink out of it is refused too).
 */
function readConsoleFile(dir: string, name: string): Buffer | undefined {
  try {
    const root = realpathSync(dir);
    const file = realpathSync(join(root, name));
    if (!file.startsWith(root + sep) || !statSync(file).isFile()) return undefined;
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * `/ui/`: the web console's static files (built by `npm run setup` into `packages/master/ui`),
 * public like any page, each answer with {@link CONSOLE_CSP}. Everything the console does goes
 * through the API routes with the user's token, under the same ACL as the CLI.
 */
export function consoleRoutes(s: Pick<MasterServices, 'consoleDir'>): RouteSpec[] {
  const serve = (reply: Parameters<RouteSpec['handler']>[0]['reply'], name: string) => {
    const body = s.consoleDir === undefined ? undefined : readConsoleFile(s.consoleDir, name);
    if (!body) {
      throw new NotFoundError(
        name === 'index.html' ? 'the console is not built (npm run setup builds it)' : `no console file ${name}`,
      );
    }
    reply
      .type(TYPES[extname(name)] ?? 'application/octet-stream')
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      // Vite names assets by content hash, so they never change; the page itself is always fresh.
      .header('cache-control', name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    return body;
  };
  return [
    route({
      method: 'GET',
      url: '/ui/',
      permission: Permission.public,
      tag: 'console',
      summary: 'The web console (a static page; it calls this API with the token of whoever logs in)',
      produces: 'text/html',
      handler: async ({ reply }) => serve(reply, 'index.html'),
    }),
    route({
      method: 'GET',
      url: '/ui/*',
      permission: Permission.public,
      tag: 'console',
      summary: "The web console's scripts, styles and icons",
      produces: 'application/octet-stream',
      params: fileParams,
      handler: async ({ reply, params }) => serve(reply, params['*']),
    }),
  ];
}
