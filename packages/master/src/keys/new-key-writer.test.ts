import { describe, expect, it } from 'vitest';
import { NewKeyWriter, type NewKeyWriterFs } from './new-key-writer.js';

type Cb = (err: NodeJS.ErrnoException | null) => void;

/** A file system whose writes land when the test says, recording what was asked of it. */
function fakeFs() {
  const calls: string[] = [];
  const out = new Map<string, Cb>();
  let later: (() => void) | undefined;
  const fs: NewKeyWriterFs = {
    create: (file, _text, cb) => (calls.push(`create ${file}`), out.set(file, cb)),
    overwrite: (file, _text, cb) => (calls.push(`overwrite ${file}`), out.set(file, cb)),
    removeSync: (file) => void calls.push(`remove ${file}`),
    later: (fn) => (later = fn),
  };
  const land = (file: string, code?: string) => {
    const cb = out.get(file)!;
    out.delete(file);
    cb(code ? Object.assign(new Error(code), { code }) : null);
  };
  return { fs, calls, land, flush: () => later?.() };
}

const settledState = async (p: Promise<unknown>) => {
  let state = 'waiting';
  p.then(
    () => (state = 'stored'),
    (e: Error) => (state = `failed ${e.message}`),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};

describe('NewKeyWriter', () => {
  it('writes a burst of new keys together, each stored once its own file is written', async () => {
    const { fs, calls, land, flush } = fakeFs();
    const w = new NewKeyWriter(fs);
    const a = w.write('a', 'pre/a', 'k');
    const b = w.write('b', 'pre/b', 'k');
    expect(calls).toEqual([]);
    flush();
    expect(calls).toEqual(['create pre/a', 'create pre/b']);
    land('pre/b');
    expect([await settledState(a), await settledState(b)]).toEqual(['waiting', 'stored']);
    land('pre/a');
    expect(await settledState(a)).toBe('stored');
    expect(await settledState(w.settled())).toBe('stored');
  });

  it('drops a queued write that a synchronous write of the same id superseded', async () => {
    const { fs, calls, flush } = fakeFs();
    const w = new NewKeyWriter(fs);
    const a = w.write('a', 'pre/a', 'k');
    w.supersede('a', () => false);
    flush();
    expect(calls).toEqual([]);
    expect(await settledState(a)).toBe('stored');
  });

  it('removes the file of a write that lands after the id moved to another state', async () => {
    const { fs, calls, land, flush } = fakeFs();
    const w = new NewKeyWriter(fs);
    const a = w.write('a', 'pre/a', 'k');
    flush();
    w.supersede('a', (file) => file === 'acc/a');
    land('pre/a');
    expect(calls).toEqual(['create pre/a', 'remove pre/a']);
    expect(await settledState(a)).toBe('stored');
  });

  it('keeps the file when the id was written again to the same place', async () => {
    const { fs, calls, land, flush } = fakeFs();
    const w = new NewKeyWriter(fs);
    const a = w.write('a', 'pre/a', 'k');
    flush();
    w.supersede('a', (file) => file === 'pre/a');
    land('pre/a', 'EEXIST');
    expect(calls).toEqual(['create pre/a']);
    expect(await settledState(a)).toBe('stored');
  });

  it('replaces a file it did not expect, and fails a write that could not be made', async () => {
    const { fs, calls, land, flush } = fakeFs();
    const w = new NewKeyWriter(fs);
    const a = w.write('a', 'pre/a', 'k');
    const b = w.write('b', 'pre/b', 'k');
    flush();
    land('pre/a', 'EEXIST');
    land('pre/b', 'ENOSPC');
    expect(await settledState(b)).toBe('failed ENOSPC');
    expect(await settledState(w.settled())).toBe('waiting');
    land('pre/a');
    expect(calls).toEqual(['create pre/a', 'create pre/b', 'overwrite pre/a']);
    expect(await settledState(a)).toBe('stored');
  });
});
