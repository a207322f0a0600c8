import { afterEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './test-context.js';
import { eventFunctions } from './event.js';

let t: TestContext | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

const send = eventFunctions.find((f) => f.name === 'event.send')!;

describe('event.send', () => {
  it('hands the tag and data to the master connection, with the grains asked for', async () => {
    t = await createTestContext({ grains: { id: 'web1', os: 'Debian', secret: 'x' } });
    const sent: [string, unknown][] = [];
    t.ctx.fireEvent = (tag, data) => (sent.push([tag, data]), true);
    const input = send.schema.parse({ tag: 'myapp/deployed', data: { v: 1 }, with_grains: ['os'] });
    expect(await send.run(input, t.ctx)).toEqual({ ret: true });
    expect(sent).toEqual([['myapp/deployed', { v: 1, grains: { os: 'Debian' } }]]);
  });

  it('fails with ERR_MINION_NO_MASTER when there is no master connection', async () => {
    t = await createTestContext();
    await expect(send.run(send.schema.parse({ tag: 'a/b' }), t.ctx)).rejects.toMatchObject({
      code: 'ERR_MINION_NO_MASTER',
    });
    t.ctx.fireEvent = () => false;
    await expect(send.run(send.schema.parse({ tag: 'a/b' }), t.ctx)).rejects.toMatchObject({
      code: 'ERR_MINION_NO_MASTER',
    });
  });

  it('refuses tags with empty or .. parts', () => {
    expect(send.schema.safeParse({ tag: '../brine/job' }).success).toBe(false);
    expect(send.schema.safeParse({ tag: 'a//b' }).success).toBe(false);
  });
});
