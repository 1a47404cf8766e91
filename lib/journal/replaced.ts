import * as path from 'node:path';
import { type FileSystem, fsyncFile, writeFully } from '../fs/seam';
import { readAt } from './cursor';
import { asideName, asideStamp } from './recover';

/** Bytes copied at a time when a journal file is put back under its name. */
const COPY_CHUNK = 1024 * 1024;

/**
 * Whether the name `file` no longer leads to the open file `fd`: another
 * file took it (an editor's save writes a new file and renames it over
 * the old one; a log-rotation tool renames the file away and creates a new
 * one) or no file has it. False when the seam cannot tell (no
 * `fileIdentity`/`fdIdentity`, or the look-up fails): the check only
 * guards against other tools, and must not stop a writer on its own.
 */
export function nameLeftFile(fs: FileSystem, fd: number, file: string): boolean {
  if (fs.fileIdentity === undefined || fs.fdIdentity === undefined) return false;
  try {
    return fs.fileIdentity(file) !== fs.fdIdentity(fd);
  } catch {
    return false;
  }
}

/** The identity of what `file` leads to, undefined when nothing is there or the seam cannot tell. */
export function identityOf(fs: FileSystem, file: string): string | undefined {
  try {
    return fs.fileIdentity?.(file);
  } catch {
    return undefined;
  }
}

/**
 * Whether `file` holds exactly the first `size` bytes of the open file `fd`
 * (and nothing more): a put-back left under the name is still in place, not
 * overwritten since (nano, cp or a shell `>` write into the same file).
 * False when it cannot be read.
 */
export function holdsSameBytes(fs: FileSystem, fd: number, size: number, file: string): boolean {
  let other: number;
  try {
    other = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    if (fs.fstatSize(other) !== size) return false;
    const ours = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(size, 1)));
    const theirs = Buffer.allocUnsafe(ours.length);
    for (let at = 0; at < size; at += ours.length) {
      const want = Math.min(ours.length, size - at);
      if (readAt(fs, fd, ours, want, at) !== want || readAt(fs, other, theirs, want, at) !== want) {
        return false;
      }
      if (!ours.subarray(0, want).equals(theirs.subarray(0, want))) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    try {
      fs.closeSync(other);
    } catch {
      // a failed close still frees the descriptor; the answer stands
    }
  }
}

/** What {@link putBack} did. */
export interface PutBack {
  /** The copy of the file that had taken the name, if one had. */
  aside: string | undefined;
}

/**
 * Puts the first `size` bytes of the open file `fd` back under `file`, the
 * name it lost (see {@link nameLeftFile}): they are copied (read through
 * `fd`) to `<file>.putback-<time>`, fsynced, and renamed over `file`; the
 * file that had taken the name is first copied aside, durably, as
 * `<file>.replaced-<time>`. No open reads either name as a journal file.
 * At every moment `file` names a whole file, the replacement or the
 * copy; a crash between the copy's fsync and its rename leaves it under
 * `<file>.putback-<time>`.
 */
export function putBack(fs: FileSystem, fd: number, size: number, file: string): PutBack {
  const stamp = asideStamp();
  const copy = asideName(fs, file, stamp, 'putback');
  let aside: string | undefined;
  try {
    copyOpenFile(fs, fd, size, copy);
    if (fs.existsSync(file)) {
      aside = asideName(fs, file, stamp, 'replaced');
      fs.copyFileSync(file, aside);
      fsyncFile(fs, aside);
    }
    fs.renameSync(copy, file);
  } catch (err) {
    try {
      fs.unlinkSync(copy);
    } catch {
      // never created, or left under a name no open reads
    }
    throw err;
  }
  fs.fsyncDirSync(path.dirname(file));
  return { aside };
}

/** Copies the first `size` bytes of the open file `fd` into the new file `to`, fsynced. */
function copyOpenFile(fs: FileSystem, fd: number, size: number, to: string): void {
  const out = fs.openSync(to, 'wx');
  try {
    const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(size, 1)));
    for (let at = 0; at < size;) {
      const want = Math.min(buf.length, size - at);
      const got = readAt(fs, fd, buf, want, at);
      if (got < want) {
        throw Object.assign(
          new Error(`the open journal file ended at byte ${at + got}, before ${size}`),
          {
            code: 'EIO',
          },
        );
      }
      writeFully(fs, out, buf.subarray(0, got));
      at += got;
    }
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
}

/** `<journal file>.putback-<time>`: the copy putBack writes before renaming it over the name. */
const PUT_BACK_COPY = /^(journal-\d{16}\.jsonl)\.putback-/;

/** The names of the put-back copies in `dir` (see finishPutBacks), in name order. */
export function putBackCopies(fs: FileSystem, dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => PUT_BACK_COPY.test(name))
    .sort();
}

/**
 * Finishes the put-backs a crash interrupted (see {@link putBack}), before an
 * open reads the journal: a `<file>.putback-<time>` copy holds the records
 * the system had written, fsynced, and may hold more than the file now
 * under the name (an editor's save of an older state), which the open would
 * otherwise read without a word. The copy is renamed over the name when the
 * file there holds nothing it lacks (none, or a prefix of it); a file there
 * with other bytes is copied aside first (`<file>.replaced-<time>`); a copy
 * that is a prefix of the file there (cut short by the crash) holds nothing
 * new and is deleted. Each is warned about.
 */
export function finishPutBacks(fs: FileSystem, dir: string, warn: (message: string) => void): void {
  for (const entry of putBackCopies(fs, dir)) {
    const copy = path.join(dir, entry);
    const file = path.join(dir, PUT_BACK_COPY.exec(entry)![1]!);
    const copied = fs.readFileSync(copy);
    const there = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
    if (there !== undefined && there.length >= copied.length && startsWith(there, copied)) {
      fs.unlinkSync(copy);
      warn(
        `${copy}, left by a put-back of ${file} that a crash interrupted, holds nothing that file lacks: deleted`,
      );
      continue;
    }
    let aside: string | undefined;
    if (there !== undefined && !startsWith(copied, there)) {
      aside = asideName(fs, file, asideStamp(), 'replaced');
      fs.copyFileSync(file, aside);
      fsyncFile(fs, aside);
    }
    fs.renameSync(copy, file);
    fs.fsyncDirSync(dir);
    const kept = aside === undefined ? '' : ` (the file that had its name is kept as ${aside})`;
    warn(
      `journal file ${file} had been replaced by another file while a system had it open, and putting its records back was interrupted by a crash: its records, copied to ${copy} before, were put back under its name now${kept}. Never edit, move or rotate journal files while the system is open (docs/DURABILITY.md)`,
    );
  }
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.subarray(0, prefix.length).equals(prefix);
}
