import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { MAX_MINION_ID_LENGTH, createJidGenerator, jidTimeMs, validateMinionId } from './ids.js';

const GOOD_IDS = [
  'a',
  'web1',
  'web-01',
  'db_2',
  'WEB1',
  '10-0-0-1',
  'web1.example.com',
  'mail.eu-west-1.corp.example.org',
  'minion@site',
  'host:8080',
  'x'.repeat(MAX_MINION_ID_LENGTH),
];

/** 500+ malformed ids: each good id broken in each way, plus the odd ones out. */
function malformedIds(): string[] {
  const controls = [...Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c)), '\x7f'];
  const breakers = [
    (id: string) => `${id}/x`,
    (id: string) => `../${id}`,
    (id: string) => `${id}\\x`,
    (id: string) => `${id}..x`,
    (id: string) => `.${id}`,
    (id: string) => `-${id}`,
    (id: string) => `${id} x`,
    (id: string) => ` ${id}`,
    (id: string) => `${id}é`,
    (id: string) => `${id}\u{1F600}`,
    (id: string) => `${id}\u200b`,
    (id: string) => `${id}${'x'.repeat(MAX_MINION_ID_LENGTH)}`,
    ...controls.map((c) => (id: string) => `${id}${c}`),
  ];
  const ids = GOOD_IDS.flatMap((id) => breakers.map((breaker) => breaker(id)));
  return [...ids, '', '.', '..', '-', '/', '\\', 'x'.repeat(MAX_MINION_ID_LENGTH + 1), 'ｗｅｂ１', 'web*', 'web?'];
}

describe('validateMinionId', () => {
  it('rejects 500 malformed ids with ERR_MINION_ID_INVALID', () => {
    const bad = malformedIds();
    expect(bad.length).toBeGreaterThanOrEqual(500);
    for (const id of bad) {
      const result = validateMinionId(id);
      expect(result.ok ? `accepted ${JSON.stringify(id)}` : result.error.code).toBe(ErrorCode.MINION_ID_INVALID);
    }
  });

  it('rejects values that are not strings', () => {
    for (const id of [undefined, null, 42, ['web1'], { id: 'web1' }]) expect(validateMinionId(id).ok).toBe(false);
  });

  it.each(GOOD_IDS)('accepts the host name %s', (id) => {
    expect(validateMinionId(id)).toEqual({ ok: true, id });
  });
});

describe('createJidGenerator', () => {
  it('yields 20-digit, strictly increasing jids for the same clock value 10,000 times', () => {
    const next = createJidGenerator();
    let previous = 0n;
    for (let i = 0; i < 10_000; i++) {
      const jid = next(1_704_164_705_678);
      expect(jid).toMatch(/^\d{20}$/);
      expect(BigInt(jid)).toBeGreaterThan(previous);
      previous = BigInt(jid);
    }
  });

  it('keeps increasing when the clock goes backwards', () => {
    const next = createJidGenerator();
    const first = next(1_704_164_705_678);
    expect(next(1_704_164_000_000) > first).toBe(true);
  });

  it('formats the UTC time as YYYYMMDDhhmmss and six sub-second digits', () => {
    expect(createJidGenerator()(Date.UTC(2024, 0, 2, 3, 4, 5, 678))).toBe('20240102030405678000');
  });
});

describe('jidTimeMs', () => {
  it('inverts the jid generator', () => {
    const next = createJidGenerator();
    for (let t = Date.UTC(2020, 0, 1); t < Date.UTC(2040, 0, 1); t += 86_400_000 * 37 + 1234) {
      expect(jidTimeMs(next(t))).toBe(t);
    }
  });

  it('returns NaN for a malformed jid', () => {
    for (const jid of ['', '2024', '2024010203040567800a', '202401020304056780000']) expect(jidTimeMs(jid)).toBeNaN();
  });
});
