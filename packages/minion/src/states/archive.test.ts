import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveStates } from './archive.js';
import { applyState, createStateTestContext, type StateTestContext } from './test-context.js';

const extracted = archiveStates[0]!;
const hasTar = existsSync('/usr/bin/tar') || existsSync('/bin/tar');
// unzip extracts, zip only builds the test archive (Debian packages unzip and zip).
const hasZip = existsSync('/usr/bin/unzip') && existsSync('/usr/bin/zip');

let t: StateTestContext;
let dest: string;
beforeEach(async () => {
  t = await createStateTestContext();
  dest = join(t.cacheDir, 'host/opt/app');
  const src = join(t.cacheDir, 'src');
  await mkdir(join(src, 'app/bin'), { recursive: true });
  await writeFile(join(src, 'app/README'), 'read me\n');
  await writeFile(join(src, 'app/bin/run'), '#!/bin/sh\n', { mode: 0o755 });
  if (hasTar) execFileSync('tar', ['-czf', join(t.fileRoot, 'app.tar.gz'), '-C', src, 'app']);
  if (hasZip) execFileSync('zip', ['-q', '-r', join(t.fileRoot, 'app.zip'), 'app'], { cwd: src });
});
afterEach(() => t.cleanup());

describe.runIf(hasTar)('archive.extracted from a tar.gz', () => {
  it('extracts once, predicts under test, then finds every file present', async () => {
    const args = { name: dest, source: 'brine://app.tar.gz' };
    const predicted = await applyState(extracted, args, t.state, { test: true });
    expect(predicted).toMatchObject({
      result: null,
      comment: `Archive brine://app.tar.gz would be extracted to ${dest}`,
      changes: { directories_created: [dest] },
    });
    expect((predicted.changes.extracted_files as string[]).sort()).toEqual(['app/README', 'app/bin/run']);
    await expect(stat(dest)).rejects.toThrow();
    expect(await applyState(extracted, args, t.state)).toEqual({
      name: dest,
      result: true,
      comment: `brine://app.tar.gz extracted to ${dest}`,
      changes: predicted.changes,
    });
    expect(await readFile(join(dest, 'app/README'), 'utf8')).toBe('read me\n');
    expect((await stat(join(dest, 'app/bin/run'))).mode & 0o111).not.toBe(0);
    expect(await applyState(extracted, args, t.state)).toMatchObject({
      changes: {},
      comment: 'All files in archive are already present',
    });
  });

  it('skips when if_missing exists and fails on a wrong source_hash', async () => {
    await mkdir(dest, { recursive: true });
    expect(
      await applyState(extracted, { name: dest, source: 'brine://app.tar.gz', if_missing: dest }, t.state),
    ).toMatchObject({
      changes: {},
      comment: `Path ${dest} exists`,
    });
    const bad = await applyState(
      extracted,
      { name: dest, source: 'brine://app.tar.gz', source_hash: `sha256=${'0'.repeat(64)}` },
      t.state,
    );
    expect(bad).toMatchObject({ result: false, comment: expect.stringContaining('does not match actual checksum') });
  });

  it('refuses an archive whose members climb out of the target', async () => {
    const evil = join(t.cacheDir, 'evil');
    await mkdir(join(evil, 'a'), { recursive: true });
    await writeFile(join(evil, 'x'), 'x');
    // -P keeps the "../" that GNU tar would strip, as a hostile archive would have it.
    execFileSync('tar', ['-P', '-cf', join(t.fileRoot, 'evil.tar'), '-C', join(evil, 'a'), '../x']);
    expect(await applyState(extracted, { name: dest, source: 'brine://evil.tar' }, t.state)).toMatchObject({
      result: false,
      comment: expect.stringContaining('outside the target directory'),
    });
  });
});

describe.runIf(hasZip)('archive.extracted from a zip', () => {
  it('extracts a salt:// zip once', async () => {
    const args = { name: dest, source: 'salt://app.zip' };
    expect((await applyState(extracted, args, t.state)).result).toBe(true);
    expect(await readFile(join(dest, 'app/bin/run'), 'utf8')).toBe('#!/bin/sh\n');
    expect((await applyState(extracted, args, t.state)).changes).toEqual({});
  });
});
