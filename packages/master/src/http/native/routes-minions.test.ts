import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../api.fixture.js';
import { call } from '../api-call.fixture.js';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await apiFixture({
    minions: {
      'web-1': { os: 'Debian', role: 'web', kernel: 'Linux', secret: 'x' },
      'web-2': { os: 'Ubuntu', role: 'web' },
      'db-1': { os: 'Debian', role: 'db', ['__proto__']: { polluted: true } },
    },
  });
});
afterAll(async () => fx?.close());

const list = async (query: string) => call(fx.app, 'GET', `/api/v1/minions${query}`, { token: fx.adminToken });

describe('GET /api/v1/minions (the console fleet list)', () => {
  it('lists minions without grains unless some are named', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.json.minions).toHaveLength(3);
    expect(res.json.minions[0].grains).toBeUndefined();
  });

  it('includes only the named grains, and only those a minion has', async () => {
    const res = await list('?grains=os,role,nosuch');
    const byId = Object.fromEntries(res.json.minions.map((m: { id: string }) => [m.id, m]));
    expect(byId['web-1'].grains).toEqual({ os: 'Debian', role: 'web' });
    expect(byId['web-2'].grains).toEqual({ os: 'Ubuntu', role: 'web' });
  });

  it('keeps a grain named __proto__ a plain value rather than a prototype', async () => {
    const res = await list('?grains=__proto__');
    const db = res.json.minions.find((m: { id: string }) => m.id === 'db-1');
    expect(db.grains).toEqual({ ['__proto__']: { polluted: true } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('answers only the minions a target selects, as a job would resolve it', async () => {
    const glob = await list('?target=web-*');
    expect(glob.json.minions.map((m: { id: string }) => m.id).sort()).toEqual(['web-1', 'web-2']);
    const grain = await list(`?target=${encodeURIComponent('os:Debian')}&targetType=grain`);
    expect(grain.json.minions.map((m: { id: string }) => m.id).sort()).toEqual(['db-1', 'web-1']);
    const compound = await list(`?target=${encodeURIComponent('G@role:web and not web-2')}&targetType=compound`);
    expect(compound.json.minions.map((m: { id: string }) => m.id)).toEqual(['web-1']);
  });

  it('answers 400 with the targeting code for a target that does not parse', async () => {
    const res = await list(`?target=${encodeURIComponent('G@os:Debian and (')}&targetType=compound`);
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('ERR_TARGET_SYNTAX');
  });

  it('refuses more than 16 grain names or odd characters', async () => {
    const many = Array.from({ length: 17 }, (_, i) => `g${i}`).join(',');
    expect((await list(`?grains=${many}`)).status).toBe(400);
    expect((await list('?grains=os%20role')).status).toBe(400);
  });
});
