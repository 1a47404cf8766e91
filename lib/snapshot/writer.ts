import { PrevalenceError, isPrevalenceError } from '../errors';
import { type FileSystem, inDir, unlinkOrWarn, writeFully } from '../fs/seam';
import {
  type HeaderInput,
  LF,
  SnapshotSums,
  TEMP_SUFFIX,
  makeHeaderLine,
  makeTrailerLine,
  snapshotFileName,
  unfinishedSnapshotOf,
} from './format';

/** Default size of the writer's output buffer. */
export const WRITE_BUFFER_BYTES = 1024 * 1024;

/** What {@link writeSnapshot} wrote. */
export interface WrittenSnapshot {
  /** Path of the final snapshot file. */
  path: string;
  /** Body bytes (as in the trailer). */
  bytes: number;
  /** Body lines (as in the trailer). */
  lines: number;
  /** SHA-256 of the body, lowercase hex (as in the trailer). */
  digest: string;
}

/**
 * Emits one body line: a JSON text without a raw LF (the writer adds the LF).
 * A long line may come in pieces: each but the last given with `more` true,
 * the last without it (then the LF follows). The file holds their
 * concatenation, and no piece is copied whole.
 */
export type EmitLine = (text: string, more?: boolean) => void;

const encoder = new TextEncoder();

/**
 * Buffers body lines into fixed-size chunks, updates the checksums and writes
 * each full chunk through the seam. A line (or a piece of one) longer than
 * the buffer is encoded into it piece by piece, so no line is ever copied
 * whole.
 */
class BodyWriter {
  private readonly buf: Buffer;
  private used = 0;
  /** True while a line given in pieces waits for its last piece. */
  unfinished = false;

  constructor(
    private readonly fs: FileSystem,
    private readonly fd: number,
    readonly sums: SnapshotSums,
    bufferSize: number,
  ) {
    this.buf = Buffer.alloc(bufferSize);
  }

  /** Takes a line, or with `more` a piece of one that the next pieces continue. */
  line(text: string, more?: boolean): void {
    if (typeof text !== 'string') {
      throw new TypeError(`a snapshot body line must be a string, got ${typeof text}`);
    }
    if (text.includes('\n')) {
      throw new Error('a snapshot body line contains a raw line feed, which would split it');
    }
    this.put(text);
    this.unfinished = more === true;
    if (this.unfinished) return;
    if (this.used === this.buf.length) this.flush();
    this.buf[this.used++] = LF;
    this.sums.addLine();
  }

  private put(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit, so this fast path always fits.
    if (text.length * 3 <= this.buf.length - this.used) {
      this.used += this.buf.write(text, this.used);
      return;
    }
    let pos = 0;
    while (pos < text.length) {
      const rest = pos === 0 ? text : text.slice(pos);
      const { read, written } = encoder.encodeInto(rest, this.buf.subarray(this.used));
      this.used += written;
      pos += read;
      if (pos < text.length) this.flush();
    }
  }

  flush(): void {
    if (this.used === 0) return;
    const chunk = this.buf.subarray(0, this.used);
    this.sums.addBody(chunk);
    writeFully(this.fs, this.fd, chunk);
    this.used = 0;
  }
}

function writeHeader(fs: FileSystem, fd: number, sums: SnapshotSums, line: string): void {
  const bytes = Buffer.from(`${line}\n`, 'utf8');
  sums.addHeader(bytes);
  writeFully(fs, fd, bytes);
}

function writeContent(
  fs: FileSystem,
  fd: number,
  headerLine: string,
  produce: (emit: EmitLine) => void,
  bufferSize: number,
): Omit<WrittenSnapshot, 'path'> {
  const sums = new SnapshotSums();
  writeHeader(fs, fd, sums, headerLine);
  const body = new BodyWriter(fs, fd, sums, bufferSize);
  let open = true;
  produce((text, more) => {
    if (!open) throw new Error('emit was called after the snapshot producer returned');
    body.line(text, more);
  });
  open = false;
  if (body.unfinished) throw new Error('the snapshot producer left a line unfinished');
  body.flush();
  const result = { bytes: sums.bytes, lines: sums.lines, digest: sums.digestHex() };
  writeFully(fs, fd, Buffer.from(`${makeTrailerLine({ ...result, crc: sums.crcHex() })}\n`));
  return result;
}

function cleanUp(fs: FileSystem, fd: number | undefined, tmpPath: string): void {
  // Best effort: the original failure is what the caller needs to see.
  if (fd !== undefined) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already failing */
    }
  }
  try {
    fs.unlinkSync(tmpPath);
  } catch {
    /* may not exist */
  }
}

function writeFailed(finalPath: string, err: unknown): PrevalenceError {
  const reason = err instanceof Error ? err.message : String(err);
  return new PrevalenceError(
    'SNAPSHOT_WRITE_FAILED',
    `could not write snapshot ${finalPath} (${reason}); existing snapshots were not touched ` +
      'and the journal still holds every action. Fix the cause (e.g. free disk space) and take ' +
      'the snapshot again',
    { cause: err },
  );
}

function checkBufferSize(bufferSize: number): void {
  // 4 bytes is the longest UTF-8 sequence, so every piece of a line fits somewhere.
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 4) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `the snapshot write buffer must be an integer of at least 4 bytes, got ${bufferSize}`,
    );
  }
}

/**
 * Writes the snapshot of the state after action `header.seq` to `dir`,
 * streaming the body lines `produce` emits. The file is written as a `.tmp`,
 * fsynced, renamed over the final name (atomically replacing an existing one)
 * and the directory is fsynced. No more than one buffer of output is held.
 *
 * On failure the temporary file is removed, existing snapshots are left as
 * they were, and SNAPSHOT_WRITE_FAILED is thrown with the cause attached; a
 * {@link PrevalenceError} thrown by `produce` (e.g. NOT_SERIALIZABLE) is
 * rethrown unchanged instead. Throws INVALID_OPTION for an unusable header.
 */
export function writeSnapshot(
  fs: FileSystem,
  dir: string,
  header: HeaderInput,
  produce: (emit: EmitLine) => void,
  bufferSize: number = WRITE_BUFFER_BYTES,
  /**
   * Called right before the rename; what it throws is thrown as it is, and
   * the temporary file is left (it may be in a directory no longer at
   * `dir`: nothing is deleted by path then; an open deletes it).
   */
  beforeRename?: () => void,
  /** The temporary file's suffix: BACKUP_TEMP_SUFFIX for a backup. */
  tempSuffix: string = TEMP_SUFFIX,
): WrittenSnapshot {
  checkBufferSize(bufferSize);
  const headerLine = makeHeaderLine(header, new Date());
  const path = inDir(dir, snapshotFileName(header.seq));
  const tmpPath = path + tempSuffix;
  let fd: number | undefined;
  let written: Omit<WrittenSnapshot, 'path'>;
  try {
    fd = fs.openSync(tmpPath, 'w');
    written = writeContent(fs, fd, headerLine, produce, bufferSize);
    fs.fsyncSync(fd);
    const closing = fd;
    fd = undefined;
    fs.closeSync(closing);
  } catch (err) {
    cleanUp(fs, fd, tmpPath);
    throw isPrevalenceError(err) ? err : writeFailed(path, err);
  }
  beforeRename?.();
  try {
    fs.renameSync(tmpPath, path);
  } catch (err) {
    cleanUp(fs, undefined, tmpPath);
    throw writeFailed(path, err);
  }
  syncDir(fs, dir, path);
  return { path, ...written };
}

function syncDir(fs: FileSystem, dir: string, path: string): void {
  try {
    fs.fsyncDirSync(dir);
  } catch (err) {
    throw new PrevalenceError(
      'SNAPSHOT_WRITE_FAILED',
      `snapshot ${path} was written but syncing its directory failed, so it may not survive ` +
        'a power cut; the journal still holds every action. Fix the I/O error and take the ' +
        'snapshot again',
      { cause: err },
    );
  }
}

/**
 * Deletes the temporary files of snapshots whose writing was cut short (a
 * crash mid-snapshot); they are never read, and a large one wastes the disk.
 * Call only while holding the directory lock. A file that cannot be deleted
 * is reported through `warn` and left (the next open tries again). Returns
 * the names removed.
 */
export function removeUnfinishedSnapshots(
  fs: FileSystem,
  dir: string,
  warn: (message: string) => void,
): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    warn(`could not list ${dir} to delete unfinished snapshot files: ${(err as Error).message}`);
    return removed;
  }
  for (const name of names) {
    if (unfinishedSnapshotOf(name) === undefined) continue;
    const file = inDir(dir, name);
    const deleted = unlinkOrWarn(
      fs,
      file,
      warn,
      (reason) =>
        `could not delete the unfinished snapshot file ${file} (${reason}); it is never read, delete it by hand to free the space`,
    );
    if (deleted) removed.push(name);
  }
  return removed;
}
