import { describe, expect, it } from 'vitest';
import { createJidGenerator, encodeFrame, generateMemoryKeyPair } from '@brine/protocol';
import { samplePublishBytes, sampleSpec } from './executor/job-spec.fixture.js';
import { sharedFrameDecoder, swarmMasters } from './swarm.js';

const master = generateMemoryKeyPair();
const newJid = createJidGenerator();
const publishBytes = (jid: string) => samplePublishBytes(master.privateKey, sampleSpec('aa:bb', { jid }));

describe('sharedFrameDecoder', () => {
  it('decodes a job published to every minion once, its acks once, and any other frame every time', () => {
    const decode = sharedFrameDecoder(1 << 20);
    const bytes = publishBytes(newJid(Date.now()));
    // Each connection receives its own copy of the same bytes.
    const a = decode(Buffer.from(bytes));
    const b = decode(Buffer.from(bytes));
    expect(a.ok && a.frame.type).toBe('job.publish');
    expect(b).toBe(a);
    const ack = encodeFrame({ type: 'ret.ack', items: [[newJid(Date.now()), 0]] });
    const c = decode(Buffer.from(ack));
    expect(c.ok && c.frame.type).toBe('ret.ack');
    expect(decode(Buffer.from(ack))).toBe(c);
    const cancel = encodeFrame({ type: 'job.cancel', jid: newJid(Date.now()) });
    const d = decode(Buffer.from(cancel));
    expect(d.ok && d.frame.type).toBe('job.cancel');
    expect(decode(Buffer.from(cancel))).not.toBe(d);
    expect(decode(Buffer.from(bytes))).toBe(a);
  });

  it('a different job, or bytes that differ in one place, are decoded afresh', () => {
    const decode = sharedFrameDecoder(1 << 20);
    const first = decode(Buffer.from(publishBytes(newJid(Date.now()))));
    const second = decode(Buffer.from(publishBytes(newJid(Date.now()))));
    expect(second).not.toBe(first);
    const bad = Buffer.from(publishBytes(newJid(Date.now())));
    decode(Buffer.from(bad));
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const tampered = decode(bad);
    expect(tampered.ok && tampered.frame).not.toBe(first.ok && first.frame);
  });

  it('keeps refusing bad frames', () => {
    const decode = sharedFrameDecoder(16);
    expect(decode(Buffer.from(publishBytes(newJid(Date.now()))))).toMatchObject({ ok: false });
  });
});

describe('swarmMasters', () => {
  it('starts minion i at master i mod n and lists the others after it, so the swarm spreads evenly', () => {
    const urls = ['wss://a', 'wss://b', 'wss://c'];
    expect([0, 1, 2, 3].map((i) => swarmMasters(urls, i))).toEqual([
      ['wss://a', 'wss://b', 'wss://c'],
      ['wss://b', 'wss://c', 'wss://a'],
      ['wss://c', 'wss://a', 'wss://b'],
      ['wss://a', 'wss://b', 'wss://c'],
    ]);
    expect(swarmMasters(['wss://only'], 7)).toEqual(['wss://only']);
  });
});
