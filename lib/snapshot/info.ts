import { PrevalenceError } from '../errors';
import { oddEntry } from '../fs/entries';
import { openPermitted } from '../fs/permission';
import type { FileSystem } from '../fs/seam';
import {
  LF,
  MAX_HEADER_BYTES,
  type SnapshotInfo,
  corrupt,
  infoOf,
  lineText,
  parseHeader,
  isTrailerLine,
  parseTrailer,
} from './format';

// A trailer is about 150 bytes; anything longer is not one.
const TRAILER_WINDOW_BYTES = 1024;
const HEADER_STEP_BYTES = 64 * 1024;

/** Reads into all of `buf` from `position`, stopping early only at the end of the file. */
function readAt(fs: FileSystem, fd: number, buf: Buffer, position: number): Buffer {
  let filled = 0;
  while (filled < buf.length) {
    const n = fs.readSync(fd, buf, filled, buf.length - filled, position + filled);
    if (n <= 0) break;
    filled += n;
  }
  return buf.subarray(0, filled);
}

/** The first line of the file, LF included, read in steps so a huge body is never touched. */
function readHeaderLine(fs: FileSystem, fd: number, file: string): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (;;) {
    const part = readAt(fs, fd, Buffer.alloc(HEADER_STEP_BYTES), length);
    const end = part.indexOf(LF);
    if (end >= 0) return Buffer.concat([...parts, part.subarray(0, end + 1)]);
    if (part.length < HEADER_STEP_BYTES) {
      throw corrupt(
        file,
        length + part.length === 0
          ? 'the file is empty'
          : 'the header line is incomplete (the file is truncated)',
      );
    }
    parts.push(part);
    length += part.length;
    if (length > MAX_HEADER_BYTES)
      throw corrupt(file, 'the first line is too long to be a snapshot header');
  }
}

/**
 * Why the file does not end with a line: bytes after a whole trailer line
 * were appended (as the full read says too); otherwise it was cut short.
 */
function unterminatedReason(file: string, window: Buffer): string {
  const end = window.lastIndexOf(LF);
  const line = end < 0 ? undefined : window.subarray(window.lastIndexOf(LF, end - 1) + 1, end + 1);
  return isTrailerLine(file, line)
    ? `${window.length - end - 1} bytes follow its trailer line (something was appended to the file)`
    : 'the last line is incomplete (the file is truncated)';
}

/** The last line of the file, LF included; it must start at or after `bodyStart`. */
function readTrailerLine(
  fs: FileSystem,
  fd: number,
  file: string,
  size: number,
  bodyStart: number,
): Buffer {
  const start = Math.max(bodyStart, size - TRAILER_WINDOW_BYTES);
  const window = readAt(fs, fd, Buffer.alloc(size - start), start);
  if (window.length === 0) throw corrupt(file, 'there is no trailer line (the file is truncated)');
  if (window[window.length - 1] !== LF || window.length < size - start) {
    throw corrupt(file, unterminatedReason(file, window));
  }
  const before = window.lastIndexOf(LF, window.length - 2);
  if (before < 0 && start !== bodyStart) {
    throw corrupt(file, 'the last line is not a snapshot trailer (the file is probably truncated)');
  }
  return window.subarray(before + 1);
}

/**
 * The SNAPSHOT_CORRUPT error for a snapshot name that holds no regular file
 * (a directory, a FIFO, a symbolic link to nothing), or undefined. Not
 * damage that restore falls back past: no version of prevalent makes such
 * an entry, so someone put it there, and it is theirs to move.
 */
export function oddSnapshotError(fs: FileSystem, path: string): PrevalenceError | undefined {
  const odd = oddEntry(fs, path);
  if (odd === undefined) return undefined;
  return new PrevalenceError(
    'SNAPSHOT_CORRUPT',
    `snapshot ${path} ${odd}: prevalent never makes one. Move it out of the directory and open again (restore then uses the snapshots and journals left; if it took the place of a snapshot file, put that file back from a backup). Nothing was changed`,
  );
}

/**
 * Opens the snapshot `path` for reading; throws {@link oddSnapshotError}'s
 * error instead of opening an entry that is no regular file, and
 * INVALID_OPTION naming it when the process may not read it (not damage to
 * fall back past: the data directory is not usable by this process).
 */
export function openSnapshotFile(fs: FileSystem, path: string): number {
  const odd = oddSnapshotError(fs, path);
  if (odd !== undefined) throw odd;
  return openPermitted(fs, path, 'r', 'INVALID_OPTION', `snapshot file ${path} to read it`);
}

/**
 * Reads only the header line and the trailer line of the snapshot at `path`,
 * without parsing the body, e.g. to compare digests cheaply. Checks that the
 * two lines are well-formed and that the file size matches the trailer, but
 * does not verify the checksums ({@link readSnapshot} does). Throws
 * SNAPSHOT_CORRUPT when they are unreadable.
 */
export function snapshotInfo(fs: FileSystem, path: string): SnapshotInfo {
  const fd = openSnapshotFile(fs, path);
  try {
    const size = fs.fstatSize(fd);
    const headerLine = readHeaderLine(fs, fd, path);
    const header = parseHeader(path, lineText(headerLine));
    const trailerLine = readTrailerLine(fs, fd, path, size, headerLine.length);
    const trailer = parseTrailer(path, lineText(trailerLine));
    const expected = headerLine.length + trailer.bytes + trailerLine.length;
    if (expected !== size) {
      throw corrupt(
        path,
        `the file is ${size} bytes but its header, trailer and the ${trailer.bytes} body bytes the trailer announces make ${expected}`,
      );
    }
    return infoOf(header, trailer);
  } finally {
    closeQuietly(fs, fd);
  }
}

/** Closes a read-only descriptor; a failure to close it cannot lose data, so it is ignored. */
export function closeQuietly(fs: FileSystem, fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* nothing was written through this descriptor */
  }
}
