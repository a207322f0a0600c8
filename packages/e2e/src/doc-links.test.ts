import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@brine/testing';

/** The relative link targets of a Markdown text, code blocks and code spans left out. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^([a-z]+:|#)/.test(target))
    .map((target) => decodeURIComponent(target.replace(/#.*$/, '')));
}

const docs = [
  'README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('the README and docs/', () => {
  it('link only to files inside the repository that exist', () => {
    const broken = docs.flatMap((doc) =>
      linkTargets(readFileSync(join(REPO_ROOT, doc), 'utf8'))
        .map((target) => ({ target, path: resolve(dirname(join(REPO_ROOT, doc)), target) }))
        .filter(({ path }) => relative(REPO_ROOT, path).startsWith('..') || !existsSync(path))
        .map(({ target }) => `${doc}: ${target}`),
    );
    expect(broken).toEqual([]);
  });
});
