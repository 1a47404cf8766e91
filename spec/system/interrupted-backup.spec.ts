// A backup (takeSnapshot({ into })) whose process was killed while it wrote
// leaves its directory holding only the unfinished
// snapshot-<seq>.snap.backup.tmp. Opened later (the operator restoring "the
// latest backup"), that directory must not pass for a new one: it opened as
// an empty state, without a word, and the open deleted the unfinished file,
// the only sign of what it was.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError, mockClock, type FileSystem } from '../../lib';
import { realFs } from '../../lib/fs/seam';
import { Wiki } from '../fixtures/wiki';
import { filesIn, freshBasedir, tmpDir } from '../support/tmp';

/** A backup directory as a kill in the middle of takeSnapshot({ into }) leaves it. */
async function interruptedBackup(): Promise<{ target: string; leftover: string }> {
  const wiki = initSystem(new Wiki(), { basedir: freshBasedir() });
  for (let i = 0; i < 20; i++) wiki.createPage(`p${i}`, 'x'.repeat(200));
  const done = path.join(tmpDir(), 'done');
  const file = wiki.takeSnapshot({ into: done });
  await wiki.close();
  const bytes = fs.readFileSync(file);
  const target = path.join(tmpDir(), 'backup');
  fs.mkdirSync(target);
  // The writer streams a backup to <name>.backup.tmp and renames it only once complete.
  const leftover = `${path.basename(file)}.backup.tmp`;
  fs.writeFileSync(path.join(target, leftover), bytes.subarray(0, bytes.length >> 1));
  return { target, leftover };
}

/**
 * A file system on which the process "dies" at the fsync of a file in
 * backup directory `dir`: the fsync fails and the file cannot be deleted,
 * so it stays as a kill there leaves it.
 */
function dyingAtBackupFsync(dir: string): FileSystem & { temps: string[] } {
  const temps: string[] = [];
  const open = new Map<number, string>();
  return {
    ...realFs,
    temps,
    openSync: (file, flags) => {
      const fd = realFs.openSync(file, flags);
      open.set(fd, file);
      return fd;
    },
    fsyncSync: (fd) => {
      const file = open.get(fd) ?? '';
      if (path.dirname(file) === dir) {
        temps.push(path.basename(file));
        throw Object.assign(new Error('killed'), { code: 'EIO' });
      }
      realFs.fsyncSync(fd);
    },
    unlinkSync: (file) => {
      if (temps.includes(path.basename(file)))
        throw Object.assign(new Error('killed'), { code: 'EIO' });
      realFs.unlinkSync(file);
    },
  };
}

/** Opens `dir` and closes it; the error it threw, if any. */
async function openError(dir: string, initial: Wiki = new Wiki()): Promise<unknown> {
  try {
    const opened = initSystem(initial, { basedir: dir, onWarning: () => {} });
    await opened.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('a backup interrupted by a crash', () => {
  it('is refused at open, not opened as a new empty directory, and left as it is', async () => {
    const { target, leftover } = await interruptedBackup();
    const error = await openError(target);
    expect(isPrevalenceError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(leftover);
    expect(message).toMatch(/takeSnapshot\(\{ into \}\)/);
    expect(message).toMatch(/delete/);
    // Nothing written, the unfinished file kept, no lock left.
    expect(filesIn(target)).toEqual([leftover]);
  });

  it('of a system that had run no action is refused too, not opened anew from the instance given', async () => {
    const first = new Wiki();
    mockClock(first, new Date('2026-01-01T00:00:00Z'));
    first.createPage('home', 'the first state');
    const target = path.join(tmpDir(), 'backup-at-0');
    const fileSystem = dyingAtBackupFsync(target);
    const wiki = initSystem(first, { basedir: freshBasedir(), fileSystem });
    expect(() => wiki.takeSnapshot({ into: target })).toThrow();
    await wiki.close();
    expect(fileSystem.temps).toEqual(['snapshot-0000000000000000.snap.backup.tmp']);
    expect(filesIn(target)).toEqual(fileSystem.temps);
    const error = await openError(target);
    expect(isPrevalenceError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect((error as Error).message).toContain('snapshot-0000000000000000.snap.backup.tmp');
    expect(filesIn(target)).toEqual(fileSystem.temps);
  });

  it('by a version that named it snapshot-<seq>.snap.tmp is refused past seq 0', async () => {
    const { target, leftover } = await interruptedBackup();
    const older = leftover.replace('.backup.tmp', '.tmp');
    fs.renameSync(path.join(target, leftover), path.join(target, older));
    const error = await openError(target);
    expect(isPrevalenceError(error, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect(filesIn(target)).toEqual([older]);
  });

  it('is deleted, as other unfinished snapshots are, by an open of a directory holding data', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), dir);
    wiki.createPage('home', 'x');
    await wiki.close();
    fs.writeFileSync(path.join(dir, 'snapshot-0000000000000001.snap.backup.tmp'), 'PREV');
    const again = initSystem(new Wiki(), dir);
    expect(again.getPage('home')?.content).toBe('x');
    await again.close();
    expect(filesIn(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('still opens a new directory whose first open was killed while writing snapshot 0', async () => {
    const dir = freshBasedir();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'snapshot-0000000000000000.snap.tmp'), 'PREV');
    const wiki = initSystem(new Wiki(), { basedir: dir });
    wiki.createPage('home', 'x');
    await wiki.close();
    expect(filesIn(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
