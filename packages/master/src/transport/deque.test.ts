import { describe, expect, it } from 'vitest';
import { Deque } from './deque.js';

describe('Deque', () => {
  it('takes items from either end in order', () => {
    const q = new Deque<number>();
    for (let i = 0; i < 5; i++) q.push(i);
    expect([q.shift(), q.pop(), q.first(), q.length]).toEqual([0, 4, 1, 3]);
    expect(q.drain()).toEqual([1, 2, 3]);
    expect([q.shift(), q.pop(), q.first(), q.length]).toEqual([undefined, undefined, undefined, 0]);
  });

  it('keeps its order across compaction', () => {
    const q = new Deque<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) expect(q.shift()).toBe(i);
    q.push(5000);
    expect([q.first(), q.pop(), q.pop(), q.length]).toEqual([3000, 5000, 4999, 1999]);
  });
});
