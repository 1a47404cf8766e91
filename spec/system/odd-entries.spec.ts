// Entries under a data file's name that are no regular file: a FIFO, a
// directory, a symbolic link to nothing. Each is refused with a
// PrevalenceError naming it and saying to move it aside, when it is to be
// read, instead of an open or verifyReplay that waited for good on a FIFO,
// or a bare EISDIR / ENOENT.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type FileSystem, initSystem, isPrevalenceError, realFs, verifyReplay } from '../../lib';
import { Counter } from '../fixtures/odd-entry-child';
import { freshBasedir, tmpDir } from '../support/tmp';

const REGISTER = path.join(__dirname, '..', 'support', 'register.js');
const CHILD = path.join(__dirname, '..', 'fixtures', 'odd-entry-child.ts');

const snapshot = (dir: string, seq: number): string =>
  path.join(dir, `snapshot-${String(seq).padStart(16, '0')}.snap`);
const journal = (dir: string, seq: number): string =>
  path.join(dir, `journal-${String(seq).padStart(16, '0')}.jsonl`);

/** snapshot-0, journal-1 (actions 1 to 5), snapshot-5, journal-6 (actions 6 to 10). */
async function counterDir(): Promise<string> {
  const dir = freshBasedir();
  const sys = initSystem(Counter, dir);
  for (let i = 1; i <= 10; i++) {
    sys.inc();
    if (i === 5) sys.takeSnapshot();
  }
  await sys.close();
  return dir;
}

/** What the child prints for `mode` on `dir`; fails the test when it had to be killed (it hung). */
function inChild(mode: 'open' | 'verify', dir: string): { code?: string; message?: string } {
  const r = spawnSync(process.execPath, ['-r', REGISTER, CHILD, mode, dir], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect({ signal: r.signal, stderr: r.stderr }).toEqual({ signal: null, stderr: '' });
  return JSON.parse(r.stdout) as { code?: string; message?: string };
}

/** The error initSystem throws on `dir`, and the warnings it gave. */
async function openFailure(
  dir: string,
  fileSystem?: FileSystem,
): Promise<{ error: unknown; warnings: string[] }> {
  const warnings: string[] = [];
  try {
    const sys = initSystem(Counter, {
      basedir: dir,
      onWarning: (w) => warnings.push(w),
      ...(fileSystem ? { fileSystem } : {}),
    });
    await sys.close();
  } catch (error) {
    return { error, warnings };
  }
  throw new Error(`initSystem opened ${dir}`);
}

const mkfifo = (file: string): void => void execFileSync('mkfifo', [file]);

describe('a FIFO under a data file name (regression: initSystem and verifyReplay waited for good)', () => {
  it('refuses a FIFO named as a snapshot, in initSystem and verifyReplay', async () => {
    const dir = await counterDir();
    const fifo = snapshot(dir, 8);
    mkfifo(fifo);
    for (const mode of ['open', 'verify'] as const) {
      const out = inChild(mode, dir);
      expect(out.code).toBe('SNAPSHOT_CORRUPT');
      expect(out.message).toContain(fifo);
      expect(out.message).toMatch(/not a regular file.*Move it out of the directory/);
    }
  });

  it('refuses a FIFO named LOCK', async () => {
    const dir = await counterDir();
    mkfifo(path.join(dir, 'LOCK'));
    const out = inChild('open', dir);
    expect(out.code).toBe('LOCKED');
    expect(out.message).toMatch(/LOCK is no regular file \(a FIFO, socket or device\).*remove it/);
  });

  it('refuses a FIFO named as an old journal file in verifyReplay; an open, which does not read it, opens', async () => {
    const dir = await counterDir();
    const old = journal(dir, 1);
    fs.unlinkSync(old);
    mkfifo(old);
    const out = inChild('verify', dir);
    expect(out.code).toBe('JOURNAL_CORRUPT');
    expect(out.message).toContain(old);
    expect(out.message).toMatch(/not a regular file.*Move it out of the directory/);
    expect(inChild('open', dir)).toEqual({ opened: 10 });
  });

  it('refuses a FIFO named as the newest journal file, also when sizing it for onProgress', async () => {
    const dir = await counterDir();
    const newest = journal(dir, 6);
    fs.unlinkSync(newest);
    mkfifo(newest);
    const out = inChild('open', dir);
    expect(out.code).toBe('JOURNAL_CORRUPT');
    expect(out.message).toContain(newest);
  });
});

describe('a directory or broken symbolic link under a data file name (regression: bare EISDIR and ENOENT)', () => {
  it('refuses a directory named as a snapshot, naming it, without falling back past it', async () => {
    const dir = await counterDir();
    fs.mkdirSync(snapshot(dir, 8));
    const { error, warnings } = await openFailure(dir);
    expect(isPrevalenceError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(`${snapshot(dir, 8)} is a directory`);
    expect((error as Error).message).toMatch(/Move it out of the directory/);
    expect(warnings).toEqual([]);
  });

  // Regression (review of this fix): verifyReplay took one past the journal's end for a damaged
  // snapshot, which an open skips, and said ok while the open refused.
  it('is refused by verifyReplay too when it lies past the journal', async () => {
    const dir = await counterDir();
    fs.mkdirSync(snapshot(dir, 99));
    expect(() => verifyReplay(dir, Counter)).toThrow(
      /snapshot-0000000000000099\.snap is a directory/,
    );
    expect(isPrevalenceError((await openFailure(dir)).error, 'SNAPSHOT_CORRUPT')).toBe(true);
  });

  it('refuses a broken symbolic link named as a snapshot', async () => {
    const dir = await counterDir();
    fs.symlinkSync(path.join(tmpDir(), 'gone'), snapshot(dir, 8));
    const { error } = await openFailure(dir);
    expect(isPrevalenceError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(`${snapshot(dir, 8)} is a symbolic link to nothing`);
  });

  it('refuses a directory named as a journal file, copying nothing (it was copied to *.unshared.tmp)', async () => {
    const dir = await counterDir();
    fs.mkdirSync(journal(dir, 11));
    const before = fs.readdirSync(dir).sort();
    const { error } = await openFailure(dir);
    expect(isPrevalenceError(error, 'JOURNAL_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(`${journal(dir, 11)} is a directory`);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });

  it('refuses a broken symbolic link named as a journal file', async () => {
    const dir = await counterDir();
    fs.symlinkSync(path.join(tmpDir(), 'gone'), journal(dir, 11));
    const { error } = await openFailure(dir);
    expect(isPrevalenceError(error, 'JOURNAL_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain(`${journal(dir, 11)} is a symbolic link to nothing`);
  });

  it('still opens data files reached through symbolic links', async () => {
    const dir = await counterDir();
    const elsewhere = path.join(tmpDir(), 'snap');
    fs.renameSync(snapshot(dir, 5), elsewhere);
    fs.symlinkSync(elsewhere, snapshot(dir, 5));
    const sys = initSystem(Counter, dir);
    expect(sys.n).toBe(10);
    await sys.close();
  });

  it('skips the check with a custom fileSystem that has no entryKind', async () => {
    const dir = await counterDir();
    const withoutKind = Object.fromEntries(
      Object.entries(realFs).filter(([name]) => name !== 'entryKind'),
    ) as unknown as FileSystem;
    const sys = initSystem(Counter, { basedir: dir, fileSystem: withoutKind });
    expect(sys.n).toBe(10);
    await sys.close();
    fs.mkdirSync(snapshot(dir, 8));
    const { error } = await openFailure(dir, withoutKind);
    expect(isPrevalenceError(error)).toBe(false);
    expect((error as NodeJS.ErrnoException).code).toBe('EISDIR');
  });
});
