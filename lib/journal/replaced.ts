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
