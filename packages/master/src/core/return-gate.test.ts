import { describe, expect, it, vi } from 'vitest';
import { returnGate } from './return-gate.js';

/** A gate over a master that published attempts 0 and 1 of `j1` only. */
function gate() {
  const ack = vi.fn();
  const dropped = vi.fn();
  const published = new Set(['j1/0', 'j1/1']);
  const admit = returnGate({ attemptPublished: (jid, attempt) => published.has(`${jid}/${attempt}`), ack, dropped });
  return { admit, ack, dropped };
}

describe('returnGate', () => {
  it.each([
    ['the first attempt', 'j1', 0],
    ['a retry that was published', 'j1', 1],
  ])('passes a return for %s on to ingest, without an ack of its own', (_what, jid, attempt) => {
    const { admit, ack, dropped } = gate();
    expect(admit('m1', { jid, attempt })).toBe(true);
    expect(ack).not.toHaveBeenCalled();
    expect(dropped).not.toHaveBeenCalled();
  });

  it.each([
    ['an attempt never published', 'j1', 2],
    ['a job this master never ran', 'j2', 0],
  ])('drops a return for %s, and acks it so the minion stops resending', (_what, jid, attempt) => {
    const { admit, ack, dropped } = gate();
    expect(admit('m1', { jid, attempt })).toBe(false);
    expect(ack).toHaveBeenCalledWith('m1', [[jid, attempt]]);
    expect(dropped).toHaveBeenCalledWith('m1', jid, attempt);
  });
});
