import { describe, expect, it } from 'vitest';
import { createTurnBatch } from './turn-batch.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('createTurnBatch', () => {
  it('runs the callbacks of one turn after it, in order', async () => {
    const batch = createTurnBatch();
    const ran: number[] = [];
    batch(() => ran.push(1));
    batch(() => ran.push(2));
    expect(ran).toEqual([]);
    await nextTurn();
    expect(ran).toEqual([1, 2]);
  });

  it('runs a callback queued by a callback in a later batch', async () => {
    const batch = createTurnBatch();
    const ran: string[] = [];
    batch(() => batch(() => ran.push('later')));
    await nextTurn();
    expect(ran).toEqual([]);
    await nextTurn();
    expect(ran).toEqual(['later']);
  });

  it('keeps the queues of two batches apart', async () => {
    const one = createTurnBatch();
    const two = createTurnBatch();
    const ran: string[] = [];
    one(() => ran.push('one'));
    two(() => ran.push('two'));
    await nextTurn();
    expect(ran.sort()).toEqual(['one', 'two']);
  });
});
