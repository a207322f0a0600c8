import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStoreError, JobStoreErrorCode } from '../store/job-store-error.js';
import { apiFixture, type ApiFixture } from './api.fixture.js';
import { call } from './api-call.fixture.js';

let fx: ApiFixture;
beforeAll(async () => {
  fx = await apiFixture({ minions: { web1: {} } });
});
afterAll(async () => fx?.close());

describe('the API while the job store is out of reach', () => {
  it('answers 503 with the store code, and 200 again once the store is back', async () => {
    const listJobs = fx.s.store.listJobs;
    fx.s.store.listJobs = () => {
      throw new JobStoreError(JobStoreErrorCode.unreachable, 'cannot reach PostgreSQL: connect ECONNREFUSED');
    };
    const down = await call(fx.app, 'GET', '/api/v1/jobs', { token: fx.adminToken });
    expect(down.status).toBe(503);
    expect(down.json).toEqual({ code: 'ERR_STORE_UNREACHABLE', message: 'the job store is unreachable; retry later' });
    fx.s.store.listJobs = listJobs;
    expect((await call(fx.app, 'GET', '/api/v1/jobs', { token: fx.adminToken })).status).toBe(200);
  });

  it('still answers 500 without detail for any other store failure', async () => {
    const listJobs = fx.s.store.listJobs;
    fx.s.store.listJobs = () => {
      throw new JobStoreError(JobStoreErrorCode.corrupt, 'bad bytes');
    };
    const res = await call(fx.app, 'GET', '/api/v1/jobs', { token: fx.adminToken });
    fx.s.store.listJobs = listJobs;
    expect(res.status).toBe(500);
    expect(res.json.code).toBe('ERR_INTERNAL');
  });
});
