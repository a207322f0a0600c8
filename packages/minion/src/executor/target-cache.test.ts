import { describe, expect, it } from 'vitest';
import { createTargetCache } from './target-cache.js';
import { sampleSpec } from './job-spec.fixture.js';

describe('createTargetCache', () => {
  it('compiles the target of one spec object once', () => {
    const targets = createTargetCache();
    const spec = sampleSpec('fp');
    expect(targets(spec)).toBe(targets(spec));
  });

  it('gives another spec object its own compiled target', () => {
    const targets = createTargetCache();
    expect(targets(sampleSpec('fp'))).not.toBe(targets(sampleSpec('fp')));
  });

  it('keeps two caches apart', () => {
    const spec = sampleSpec('fp');
    expect(createTargetCache()(spec)).not.toBe(createTargetCache()(spec));
  });
});
