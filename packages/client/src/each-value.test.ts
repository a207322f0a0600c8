import { Observable, of, throwError, concat } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { eachValue } from './each-value.js';

describe('eachValue', () => {
  it('yields every value, then ends when the source completes', async () => {
    const seen: number[] = [];
    for await (const v of eachValue(of(1, 2, 3))) seen.push(v);
    expect(seen).toEqual([1, 2, 3]);
  });

  it("throws the source's error after the values before it", async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const v of eachValue(
        concat(
          of(1),
          throwError(() => new Error('boom')),
        ),
      ))
        seen.push(v);
    };
    await expect(run()).rejects.toThrow('boom');
    expect(seen).toEqual([1]);
  });

  it('unsubscribes from the source when the loop is left early', async () => {
    let unsubscribed = false;
    const source = new Observable<number>((o) => {
      o.next(1);
      o.next(2);
      return () => (unsubscribed = true);
    });
    for await (const v of eachValue(source)) if (v === 1) break;
    expect(unsubscribed).toBe(true);
  });
});
