import * as nodeFs from 'node:fs';
import * as path from 'node:path';

/**
 * The thin file-system seam every durable write goes through, so tests can
 * inject faults (short writes, ENOSPC, EIO) without touching the real disk.
 * Synchronous calls because `initSystem`, actions and `takeSnapshot` are
 * synchronous; `fdatasync` is also offered asynchronously for the background
 * flusher (group commit).
 */
export interface FileSystem {
  openSync(file: string, flags: string): number;
  closeSync(fd: number): void;
  /** May write fewer bytes than asked (a short write); callers loop or fail. */
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number): number;
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  fdatasyncSync(fd: number): void;
  fdatasync(fd: number): Promise<void>;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  fstatSize(fd: number): number;
  renameSync(from: string, to: string): void;
  unlinkSync(file: string): void;
  copyFileSync(from: string, to: string): void;
  readdirSync(dir: string): string[];
  mkdirSync(dir: string): void;
  existsSync(file: string): boolean;
  readFileSync(file: string): Buffer;
  /** fsync a directory so a create, rename or unlink in it survives a power cut. */
  fsyncDirSync(dir: string): void;
  /**
   * How many names `file` has (its hard links). Optional: without it, an
   * open does not look for journal files shared with another directory.
   */
  linkCount?(file: string): number;
  /**
   * What the entry `file` is (see {@link EntryKind}), without opening it.
   * Optional: without it, data files are opened without the check, and a
   * FIFO under a data file's name blocks the open.
   */
  entryKind?(file: string): EntryKind;
  /**
   * The identity (`<dev>:<ino>`) of what `file` leads to, symbolic links
   * followed; undefined when nothing is there. Optional, with
   * `fdIdentity`: without them a running system does not notice that
   * another file took the name of the journal file it appends to (an
   * editor's save).
   */
  fileIdentity?(file: string): string | undefined;
  /** The identity (`<dev>:<ino>`) of the open file `fd`. Optional, with `fileIdentity`. */
  fdIdentity?(fd: number): string;
}

/**
 * What a directory entry is, as far as reading it as a data file goes: a
 * regular file (also through a symbolic link), a directory, a symbolic link
 * whose target does not exist (or loops), something else (a FIFO, socket or
 * device: opening a FIFO blocks until a writer comes), or nothing at all.
 */
export type EntryKind = 'file' | 'directory' | 'broken-link' | 'other' | 'missing';

// Typed as a Record so that a method added to the interface must be added here too.
const SEAM_METHODS: Readonly<
  Record<Exclude<keyof FileSystem, 'linkCount' | 'entryKind' | 'fileIdentity' | 'fdIdentity'>, true>
> = {
  openSync: true,
  closeSync: true,
  writeSync: true,
  readSync: true,
  fdatasyncSync: true,
  fdatasync: true,
  fsyncSync: true,
  ftruncateSync: true,
  fstatSize: true,
  renameSync: true,
  unlinkSync: true,
  copyFileSync: true,
  readdirSync: true,
  mkdirSync: true,
  existsSync: true,
  readFileSync: true,
  fsyncDirSync: true,
};

/** The {@link FileSystem} methods `candidate` lacks (or holds as something other than a function). */
export function missingSeamMethods(candidate: object): string[] {
  const methods = candidate as Record<string, unknown>;
  return Object.keys(SEAM_METHODS).filter((name) => typeof methods[name] !== 'function');
}

/** The real file system (node:fs). */
export const realFs: FileSystem = {
  openSync: (file, flags) => nodeFs.openSync(file, flags),
  closeSync: (fd) => nodeFs.closeSync(fd),
  writeSync: (fd, buf, offset, length) => nodeFs.writeSync(fd, buf, offset, length),
  readSync: (fd, buf, offset, length, position) =>
    nodeFs.readSync(fd, buf, offset, length, position),
  fdatasyncSync: (fd) => nodeFs.fdatasyncSync(fd),
  fdatasync: (fd) =>
    new Promise((resolve, reject) =>
      nodeFs.fdatasync(fd, (err) => (err ? reject(err) : resolve())),
    ),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  ftruncateSync: (fd, length) => nodeFs.ftruncateSync(fd, length),
  fstatSize: (fd) => nodeFs.fstatSync(fd).size,
  renameSync: (from, to) => nodeFs.renameSync(from, to),
  unlinkSync: (file) => nodeFs.unlinkSync(file),
  copyFileSync: (from, to) => nodeFs.copyFileSync(from, to),
  readdirSync: (dir) => nodeFs.readdirSync(dir),
  // One level at a time (makeDirDurably creates parents first): Node 20's
  // recursive mkdir loops for good where mkdir fails with ENOENT under an
  // existing parent (/proc). An existing directory is no error, as there.
  mkdirSync: (dir) => {
    try {
      nodeFs.mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !isDirectory(dir)) throw err;
    }
  },
  existsSync: (file) => nodeFs.existsSync(file),
  readFileSync: (file) => nodeFs.readFileSync(file),
  fsyncDirSync: (dir) => {
    const fd = nodeFs.openSync(dir, 'r');
    try {
      nodeFs.fsyncSync(fd);
    } finally {
      nodeFs.closeSync(fd);
    }
  },
  linkCount: (file) => nodeFs.statSync(file).nlink,
  entryKind: (file) => realEntryKind(file),
  fileIdentity: (file) => realFileIdentity(file),
  fdIdentity: (fd) => identityText(nodeFs.fstatSync(fd)),
};

/** A file's identity as the seam and the directory lock write it: `<dev>:<ino>`. */
export function identityText(stats: nodeFs.Stats): string {
  return `${stats.dev}:${stats.ino}`;
}

/**
 * The identity (`<dev>:<ino>`) of what `file` leads to on the real disk,
 * symbolic links followed, as the directory lock records it; undefined
 * when nothing is there.
 */
export function realFileIdentity(file: string): string | undefined {
  try {
    const stats = nodeFs.statSync(file, { throwIfNoEntry: false });
    return stats === undefined ? undefined : identityText(stats);
  } catch (err) {
    // A file where a directory of the path was: nothing there either.
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function realEntryKind(file: string): EntryKind {
  let stats: nodeFs.Stats | undefined;
  try {
    stats = nodeFs.statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
  }
  if (stats === undefined) {
    const link = nodeFs.lstatSync(file, { throwIfNoEntry: false });
    return link === undefined ? 'missing' : 'broken-link';
  }
  if (stats.isFile()) return 'file';
  return stats.isDirectory() ? 'directory' : 'other';
}

/** fsyncs the file `file` (opened for reading, as a directory is). */
export function fsyncFile(fs: FileSystem, file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** True when `dir` is a directory (symlinks followed). */
function isDirectory(dir: string): boolean {
  try {
    return nodeFs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Creates `dir` (and missing parents) so that it survives a power cut: the
 * entry of each directory created lives in its parent, which is fsynced
 * too, where it can be opened. Nothing is fsynced for a directory that
 * exists.
 */
export function makeDirDurably(fs: FileSystem, dir: string): void {
  const created: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    created.push(d);
    if (path.dirname(d) === d) break;
  }
  // Top down, each under a parent that exists. Also when it exists: a file
  // of that name is refused here (EEXIST).
  if (created.length === 0) fs.mkdirSync(dir);
  for (let i = created.length - 1; i >= 0; i--) fs.mkdirSync(created[i]!);
  // Top down: each created directory's entry is in the one above it. Best
  // effort: a parent the process may write but not read (mode 0733) cannot
  // be opened to fsync, and refusing the directory for it would leave it
  // created and unused.
  for (const d of created.reverse()) {
    try {
      fs.fsyncDirSync(path.dirname(d));
    } catch {
      // the directory stands; only its survival of a power cut is less sure
    }
  }
}

/**
 * Deletes `file` for a cleanup that only saves space: when that fails, the
 * file is kept and `warn` gets `message(reason)` instead of the failure
 * undoing what the cleanup follows. Returns whether the file was deleted.
 */
export function unlinkOrWarn(
  fs: FileSystem,
  file: string,
  warn: (message: string) => void,
  message: (reason: string) => string,
): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    warn(message(err instanceof Error ? err.message : String(err)));
    return false;
  }
}

/** Writes all of `buf`, looping over short writes; a write that makes no progress throws EIO. */
export function writeFully(fs: FileSystem, fd: number, buf: Uint8Array): void {
  let offset = 0;
  while (offset < buf.length) {
    const written = fs.writeSync(fd, buf, offset, buf.length - offset);
    if (written <= 0) {
      const err = new Error('write made no progress') as NodeJS.ErrnoException;
      err.code = 'EIO';
      throw err;
    }
    offset += written;
  }
}

/** Joins a directory and a file name (kept here so modules need not import node:path for it). */
export function inDir(dir: string, name: string): string {
  return path.join(dir, name);
}
