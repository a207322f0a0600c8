import { describe, expect, it } from 'vitest';
import { jobRequestSchema } from './api.js';
import { jobCalls } from './compound-job.js';

describe('jobCalls', () => {
  it('gives one call for a plain job', () => {
    expect(jobCalls({ fun: 'test.echo', args: ['hi'], kwargs: { x: 1 } })).toEqual({
      ok: true,
      calls: [{ fun: 'test.echo', args: ['hi'], kwargs: { x: 1 } }],
    });
  });

  it('splits a compound job into its functions, each with its own args and __kwarg__ keywords', () => {
    expect(
      jobCalls({
        fun: 'test.echo,cmd.run,test.ping',
        args: [['hello'], ['uname -a', { __kwarg__: true, cwd: '/tmp' }], []],
        kwargs: {},
      }),
    ).toEqual({
      ok: true,
      calls: [
        { fun: 'test.echo', args: ['hello'], kwargs: {} },
        { fun: 'cmd.run', args: ['uname -a'], kwargs: { cwd: '/tmp' } },
        { fun: 'test.ping', args: [], kwargs: {} },
      ],
    });
  });

  it.each([
    ['args that are not one list per function', { fun: 'a.b,c.d', args: [['x']], kwargs: {} }],
    ['args that are not lists', { fun: 'a.b,c.d', args: ['x', 'y'], kwargs: {} }],
    ['top-level kwargs', { fun: 'a.b,c.d', args: [[], []], kwargs: { k: 1 } }],
    ['a function named twice', { fun: 'a.b,a.b', args: [[], []], kwargs: {} }],
  ])('refuses a compound job with %s', (_, job) => {
    expect(jobCalls(job).ok).toBe(false);
  });
});

describe('jobRequestSchema with several functions', () => {
  it('takes fun as a list and joins it as Salt writes it', () => {
    const r = jobRequestSchema.parse({ target: '*', fun: ['test.echo', 'cmd.run'], args: [['hello'], ['uname -a']] });
    expect(r.fun).toBe('test.echo,cmd.run');
  });

  it('refuses a compound job whose args do not match its functions, with a message naming args', () => {
    const r = jobRequestSchema.safeParse({ target: '*', fun: 'test.echo,cmd.run', args: ['hello'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['args']);
  });

  it('refuses a function name that is not module.function in a list', () => {
    expect(jobRequestSchema.safeParse({ target: '*', fun: 'test.echo,rm -rf' }).success).toBe(false);
    expect(jobRequestSchema.safeParse({ target: '*', fun: ['test.echo', ''] }).success).toBe(false);
  });
});
