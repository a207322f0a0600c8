/** One installed extension file, loaded: its default export, or why it is not in use. */
export type Loaded<T> =
  | { name: string; status: 'loaded'; value: T; url: string }
  | { name: string; status: 'declined'; reason: string }
  | { name: string; status: 'failed'; error: string };

export { shapeChecks, type ShapeCheck } from './shape-checks.js';

/**
 * The identity of an installed extension's content: its file name and `?v=<sha256>`. Files with
 * the same key behave the same (the master compiles each into one self-contained module), so
 * the minions of a swarm, each with its own copy on disk, can share one worker, which alone
 * imports the file (`worker-loader.ts`).
 */
export function contentKey(url: string): string {
  const u = new URL(url);
  return `${u.pathname.slice(u.pathname.lastIndexOf('/') + 1)}${u.search}`;
}
