import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';
import { CONSOLE_CSP } from './routes-console.js';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await apiFixture({});
  const dir = fx.s.consoleDir!;
  // A file outside the console directory, and a link to it from inside.
  writeFileSync(join(dir, '..', 'secret.txt'), 'not for the web\n');
  mkdirSync(join(dir, 'links'), { recursive: true });
  symlinkSync(join(dir, '..', 'secret.txt'), join(dir, 'links', 'secret.txt'));
});
afterAll(async () => fx?.close());

describe('/ui/', () => {
  it('serves the page without a token, with a CSP that allows no inline script', async () => {
    const res = await call(fx.app, 'GET', '/ui/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('serves hashed assets with their type, the CSP and a long cache life', async () => {
    const res = await call(fx.app, 'GET', '/ui/assets/app.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it.each([
    '/ui/../secret.txt',
    '/ui/%2e%2e/secret.txt',
    '/ui/assets/%2e%2e/%2e%2e/secret.txt',
    '/ui/..%2fsecret.txt',
    '/ui/.hidden',
    '/ui/links/secret.txt',
    '/ui/assets',
    '/ui/nothing.js',
  ])('answers 400 or 404 for %s, never a file outside the console', async (url) => {
    const res = await call(fx.app, 'GET', url);
    expect([400, 404]).toContain(res.status);
    expect(res.text).not.toContain('not for the web');
  });

  it('answers 404 with a hint when the console is not built', async () => {
    const empty = await apiFixture({});
    try {
      empty.s.consoleDir = join(empty.s.consoleDir!, 'missing');
      const res = await call(empty.app, 'GET', '/ui/');
      expect(res.status).toBe(404);
      expect(res.json.message).toContain('npm run setup');
    } finally {
      await empty.close();
    }
  });
});
