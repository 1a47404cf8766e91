import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type FileSystem, realFs } from '../../lib/fs/seam';
import { writeSnapshot, type WrittenSnapshot } from '../../lib/snapshot/writer';
import { readSnapshot } from '../../lib/snapshot/loader';

const made: string[] = [];

/** A fresh directory under the OS temp dir; removed by {@link removeTempDirs}. */
export function tempDir(): string {
  const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'prevalent-snapshot-'));
  made.push(dir);
  return dir;
}

/** Removes every directory {@link tempDir} made. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) nodeFs.rmSync(dir, { recursive: true, force: true });
}

/** Body lines with multi-byte UTF-8 (2, 3 and 4 bytes per character) of varying lengths. */
export function sampleLines(count: number): string[] {
  const pieces = ['a', 'é', '€', '😀', 'ß', '中文', '"q"', '\\'];
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      id: i,
      text: pieces
        .slice(0, (i % pieces.length) + 1)
        .join('')
        .repeat(i % 5),
    }),
  );
}

/** Writes a snapshot of `lines` at `seq` with root class Wiki. */
export function writeLines(
  dir: string,
  seq: number,
  lines: readonly string[],
  fs: FileSystem = realFs,
  bufferSize?: number,
): WrittenSnapshot {
  return writeSnapshot(
    fs,
    dir,
    { seq, ts: 1_700_000_000_000 + seq, rootClass: 'Wiki' },
    (emit) => lines.forEach((line) => emit(line)),
    bufferSize,
  );
}

/** Every body line of the snapshot at `file`. */
export function readLines(file: string, chunkSize?: number, fs: FileSystem = realFs): string[] {
  const lines: string[] = [];
  readSnapshot(fs, file, (line) => lines.push(line), undefined, chunkSize);
  return lines;
}

/** Sorted names in `dir`. */
export function namesIn(dir: string): string[] {
  return nodeFs.readdirSync(dir).sort();
}

/** What a {@link spyFs} saw. */
export interface FsStats {
  writeLengths: number[];
  readLengths: number[];
  openFds: Set<number>;
}

/**
 * Wraps `inner`, recording write and read sizes and which descriptors are
 * still open; `overrides` replace single calls (e.g. a failing fsyncDirSync).
 */
export function spyFs(
  inner: FileSystem = realFs,
  overrides: Partial<FileSystem> = {},
): { fs: FileSystem; stats: FsStats } {
  const stats: FsStats = { writeLengths: [], readLengths: [], openFds: new Set() };
  const fs: FileSystem = {
    openSync: (file, flags) => {
      const fd = inner.openSync(file, flags);
      stats.openFds.add(fd);
      return fd;
    },
    closeSync: (fd) => {
      stats.openFds.delete(fd);
      inner.closeSync(fd);
    },
    writeSync: (fd, buf, offset, length) => {
      stats.writeLengths.push(length);
      return inner.writeSync(fd, buf, offset, length);
    },
    readSync: (fd, buf, offset, length, position) => {
      stats.readLengths.push(length);
      return inner.readSync(fd, buf, offset, length, position);
    },
    fdatasyncSync: (fd) => inner.fdatasyncSync(fd),
    fdatasync: (fd) => inner.fdatasync(fd),
    fsyncSync: (fd) => inner.fsyncSync(fd),
    ftruncateSync: (fd, length) => inner.ftruncateSync(fd, length),
    fstatSize: (fd) => inner.fstatSize(fd),
    renameSync: (from, to) => inner.renameSync(from, to),
    unlinkSync: (file) => inner.unlinkSync(file),
    copyFileSync: (from, to) => inner.copyFileSync(from, to),
    readdirSync: (dir) => inner.readdirSync(dir),
    mkdirSync: (dir) => inner.mkdirSync(dir),
    existsSync: (file) => inner.existsSync(file),
    readFileSync: (file) => inner.readFileSync(file),
    fsyncDirSync: (dir) => inner.fsyncDirSync(dir),
    ...overrides,
  };
  return { fs, stats };
}

/** Runs `fn` and returns what it threw; fails the test when it returns normally. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw, but it returned');
}
