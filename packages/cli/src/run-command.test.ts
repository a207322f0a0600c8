import { ApiErrorCode } from '@brine/protocol';
import { describe, expect, it } from 'vitest';
import { ApiCallError, type ApiClient } from './client.js';
import { masterRunner } from './run-command.js';

/** A client whose custom-runner route knows `custom` and whose salt-api runner client knows `salt`. */
function fakeClient(known: { custom: Record<string, unknown>; salt: Record<string, unknown> }) {
  const calls: string[] = [];
  const client = {
    json: async (_method: string, path: string, body: unknown) => {
      calls.push(path);
      if (path.startsWith('/api/v1/runners/')) {
        const fun = path.slice('/api/v1/runners/'.length);
        if (Object.hasOwn(known.custom, fun)) return { ret: known.custom[fun] };
        throw new ApiCallError(404, { code: ApiErrorCode.notFound, message: `no runner function ${fun}` });
      }
      const fun = (body as { fun: string }[])[0]!.fun;
      if (Object.hasOwn(known.salt, fun)) return { return: [known.salt[fun]] };
      throw new ApiCallError(400, { code: ApiErrorCode.badRequest, message: `runner function '${fun}' is not served` });
    },
  } as unknown as ApiClient;
  return { client, calls };
}

describe('brine-run for a function it has no entry of its own for', () => {
  it("calls a custom runner, else the master's salt-api runner of that name, as salt-run users type it", async () => {
    const { client, calls } = fakeClient({ custom: { 'fleet.roles': { web: 2 } }, salt: { 'event.send': true } });
    expect(await masterRunner(client, 'fleet.roles', [], {})).toEqual({ web: 2 });
    expect(await masterRunner(client, 'event.send', ['myapp/x'], {})).toBe(true);
    expect(calls).toEqual(['/api/v1/runners/fleet.roles', '/api/v1/runners/event.send', '/']);
  });

  it('says there is no such runner when neither knows it', async () => {
    const { client } = fakeClient({ custom: {}, salt: {} });
    await expect(masterRunner(client, 'nope.nothing', [], {})).rejects.toThrow('no runner function nope.nothing');
  });
});
