import { PrevalenceError, isPrevalenceError } from '../errors';
import { type FileSystem, inDir } from '../fs/seam';
import {
  MAX_HEADER_BYTES,
  type SnapshotHeader,
  type SnapshotInfo,
  SnapshotSums,
  type SnapshotTrailer,
  corrupt,
  infoOf,
  lineText,
  parseHeader,
  parseTrailer,
  seqOfFileName,
} from './format';
import { closeQuietly, oddSnapshotError, openSnapshotFile } from './info';
import { LineSplitter } from './lines';

/** Default size of each read while loading a snapshot. */
export const READ_CHUNK_BYTES = 4 * 1024 * 1024;

/** Reports loading progress: bytes read so far and the file's size. */
export type ProgressListener = (bytesDone: number, bytesTotal: number) => void;

/** A snapshot file found in a directory. */
export interface SnapshotEntry {
  seq: number;
  path: string;
}

/** Builds a value from body lines; one consumer is used for one snapshot attempt only. */
export interface SnapshotConsumer<T> {
  consume(line: string): void;
  finish(): T;
}

/** The snapshot {@link loadNewestSnapshot} restored. */
export interface LoadedSnapshot<T> {
  seq: number;
  ts: number;
  /** The data directory's seed from the header; undefined for a directory without one. */
  seed: string | undefined;
  value: T;
  path: string;
  digest: string;
  /**
   * The highest seq of the newer snapshots skipped as damaged (undefined when
   * none was): the journal must reach it, or actions they held are lost.
   */
  skippedSeq?: number;
}

/**
 * The snapshot files in `dir`, newest (highest seq) first. Temporary files and
 * other names are ignored; a missing directory has none.
 */
export function listSnapshots(fs: FileSystem, dir: string): SnapshotEntry[] {
  if (!fs.existsSync(dir)) return [];
  const found: SnapshotEntry[] = [];
  for (const name of fs.readdirSync(dir)) {
    const seq = seqOfFileName(name);
    if (seq !== undefined) found.push({ seq, path: inDir(dir, name) });
  }
  return found.sort((a, b) => b.seq - a.seq);
}

function checkChunkSize(chunkSize: number): void {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `the snapshot read chunk size must be a positive integer, got ${chunkSize}`,
    );
  }
}

function verifyTrailer(path: string, t: SnapshotTrailer, sums: SnapshotSums): void {
  if (t.lines !== sums.lines) {
    throw corrupt(
      path,
      `the trailer announces ${t.lines} body lines but the file has ${sums.lines}`,
    );
  }
  if (t.bytes !== sums.bytes) {
    throw corrupt(
      path,
      `the trailer announces ${t.bytes} body bytes but the file has ${sums.bytes}`,
    );
  }
  if (t.crc !== sums.crcHex()) {
    throw corrupt(path, `CRC-32 mismatch (trailer ${t.crc}, file ${sums.crcHex()})`);
  }
  const digest = sums.digestHex();
  if (t.digest !== digest) {
    throw corrupt(path, `SHA-256 digest mismatch (trailer ${t.digest}, file ${digest})`);
  }
}

/** Reads the whole open file through `splitter`, reporting progress after each chunk. */
function pump(
  fs: FileSystem,
  fd: number,
  path: string,
  splitter: LineSplitter,
  chunkSize: number,
  onProgress: ProgressListener | undefined,
): number {
  const total = fs.fstatSize(fd);
  const buf = Buffer.alloc(Math.max(1, Math.min(chunkSize, total)));
  let done = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, done);
    if (n <= 0) return total;
    splitter.push(buf.subarray(0, n));
    done += n;
    if (!splitter.hasFirst && splitter.pendingBytes > MAX_HEADER_BYTES) {
      throw corrupt(path, 'the first line is too long to be a snapshot header');
    }
    onProgress?.(done, Math.max(done, total));
  }
}

function readOpen(
  fs: FileSystem,
  fd: number,
  path: string,
  consume: (line: string) => void,
  onProgress: ProgressListener | undefined,
  chunkSize: number,
): SnapshotInfo {
  const sums = new SnapshotSums();
  let header: SnapshotHeader | undefined;
  // The first error of `consume`. Reading goes on without consuming, so the
  // checksums can tell a damaged file (a flipped byte can make a class name
  // unknown) from an intact one whose content this program cannot take.
  let consumeFailed: { error: unknown } | undefined;
  const splitter = new LineSplitter({
    first: (bytes) => {
      sums.addHeader(bytes);
      header = parseHeader(path, lineText(bytes));
    },
    bodyBytes: (bytes) => sums.addBody(bytes),
    middle: (text) => {
      sums.addLine();
      if (consumeFailed !== undefined) return;
      try {
        consume(text);
      } catch (error) {
        consumeFailed = { error };
      }
    },
  });
  let info: SnapshotInfo;
  try {
    const total = pump(fs, fd, path, splitter, chunkSize, onProgress);
    info = checkEnd(path, splitter, sums, header, total);
  } catch (err) {
    if (consumeFailed === undefined || !isPrevalenceError(err, 'SNAPSHOT_CORRUPT')) throw err;
    const cause = consumeFailed.error;
    const what = cause instanceof Error ? cause.message : String(cause);
    throw corrupt(
      path,
      `${err.message.replace(/^SNAPSHOT_CORRUPT: /, '')}; reading it had failed first: ${what}`,
    );
  }
  if (consumeFailed !== undefined) throw consumeFailed.error;
  return info;
}

/** The checks once the whole file is read: header present, last line complete, trailer matching. */
function checkEnd(
  path: string,
  splitter: LineSplitter,
  sums: SnapshotSums,
  header: SnapshotHeader | undefined,
  total: number,
): SnapshotInfo {
  const { last, unterminatedBytes } = splitter.end();
  if (header === undefined) {
    throw corrupt(
      path,
      total === 0 ? 'the file is empty' : 'the header line is incomplete (the file is truncated)',
    );
  }
  if (unterminatedBytes > 0)
    throw corrupt(path, 'the last line is incomplete (the file is truncated)');
  if (last === undefined) throw corrupt(path, 'there is no trailer line (the file is truncated)');
  const trailer = parseTrailer(path, lineText(last));
  verifyTrailer(path, trailer, sums);
  return infoOf(header, trailer);
}

/**
 * Streams the snapshot at `path`: checks the header (format, version, seq of
 * the file name), hands each body line to `consume` as it is read, then checks
 * the trailer (line and byte counts, CRC-32, SHA-256). Reads in chunks of
 * `chunkSize` bytes; lines may be longer than a chunk.
 *
 * Throws SNAPSHOT_CORRUPT naming the file and what failed. Because lines are
 * consumed before the trailer is checked, a caller must discard whatever
 * `consume` built when this throws. An error thrown by `consume` stops the
 * consuming, not the reading: it propagates as is when the file's checksums
 * show the file intact, and as SNAPSHOT_CORRUPT (naming it) when they do not.
 */
export function readSnapshot(
  fs: FileSystem,
  path: string,
  consume: (line: string) => void,
  onProgress?: ProgressListener,
  chunkSize: number = READ_CHUNK_BYTES,
): SnapshotInfo {
  checkChunkSize(chunkSize);
  const fd = openSnapshotFile(fs, path);
  try {
    return readOpen(fs, fd, path, consume, onProgress, chunkSize);
  } finally {
    closeQuietly(fs, fd);
  }
}

function loadOne<T>(
  fs: FileSystem,
  path: string,
  consumer: SnapshotConsumer<T>,
  onProgress: ProgressListener | undefined,
  chunkSize: number,
): LoadedSnapshot<T> {
  const info = readSnapshot(fs, path, (line) => consumer.consume(line), onProgress, chunkSize);
  const { seq, ts, seed, digest } = info;
  return { seq, ts, seed, value: consumer.finish(), path, digest };
}

/**
 * Restores from the newest valid snapshot in `dir`. A snapshot that is damaged
 * (SNAPSHOT_CORRUPT from the file or from the consumer) is reported through
 * `warn` and the next older one is tried with a fresh consumer from
 * `makeConsumer`; any other error propagates as is. Progress restarts for each
 * file tried.
 *
 * Returns undefined when `dir` holds no snapshot; throws SNAPSHOT_CORRUPT
 * listing them when snapshots exist but none is valid, and without falling
 * back when the one to try next is no regular file (see oddSnapshotError).
 */
export function loadNewestSnapshot<T>(
  fs: FileSystem,
  dir: string,
  makeConsumer: () => SnapshotConsumer<T>,
  warn: (message: string) => void,
  onProgress?: ProgressListener,
  chunkSize: number = READ_CHUNK_BYTES,
): LoadedSnapshot<T> | undefined {
  const snapshots = listSnapshots(fs, dir);
  if (snapshots.length === 0) return undefined;
  const failures: string[] = [];
  for (const [index, { path }] of snapshots.entries()) {
    const odd = oddSnapshotError(fs, path);
    if (odd !== undefined) throw odd;
    try {
      const loaded = loadOne(fs, path, makeConsumer(), onProgress, chunkSize);
      if (index > 0) loaded.skippedSeq = snapshots[0]!.seq;
      return loaded;
    } catch (err) {
      if (!isPrevalenceError(err, 'SNAPSHOT_CORRUPT')) throw err;
      failures.push(`${path} (${err.message})`);
      const next =
        index < snapshots.length - 1
          ? 'restore falls back to the previous snapshot plus the journal after it'
          : 'no older snapshot is left to fall back to';
      warn(`snapshot ${path} cannot be used (${err.message}); ${next}`);
    }
  }
  throw new PrevalenceError(
    'SNAPSHOT_CORRUPT',
    `none of the ${snapshots.length} snapshots in ${dir} is valid: ${failures.join('; ')}. ` +
      'Restore a snapshot file from a backup, or move the damaged files aside so the state is ' +
      'rebuilt from the journal alone (possible only if it still holds every action since the start; ' +
      "the journal does not hold the directory seed, so if the snapshots had one, replayed actions' " +
      'random() and uuid() values will differ: see docs/FORMAT.md)',
  );
}
