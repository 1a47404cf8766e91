import { PrevalenceError, isPrevalenceError } from '../errors';
import { type FileSystem, inDir } from '../fs/seam';
import { isPermissionError } from '../fs/permission';
import {
  MAX_HEADER_BYTES,
  type SnapshotHeader,
  type SnapshotInfo,
  SnapshotSums,
  type SnapshotTrailer,
  corrupt,
  corruptReason,
  infoOf,
  lineText,
  parseHeader,
  isTrailerLine,
  parseTrailer,
  seqOfFileName,
} from './format';
import { closeQuietly, oddSnapshotError, openSnapshotFile, snapshotInfo } from './info';
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

/**
 * Takes the body lines of a snapshot: a line as its text, unless it is long
 * (longer than linePieces.read bytes, see lib/codec/line-pieces.ts): such a
 * line comes as its bytes, in pieces.
 */
export interface BodyConsumer {
  /** A body line's text (without LF). */
  line(text: string): void;
  /** The next piece of a long body line's bytes (without LF); valid during the call only. */
  part(bytes: Buffer): void;
  /** The long line whose pieces went to {@link part} is complete. */
  end(): void;
}

/**
 * What takes the body lines: a {@link BodyConsumer}, or a function given
 * every line as its text, a long one too (joined from its bytes: one longer
 * than the longest string fails, as an error of the function's).
 */
export type LineConsumer = ((line: string) => void) | BodyConsumer;

/** A consumer that ignores the body (a read for the checks only). */
export const SKIP_BODY: BodyConsumer = Object.freeze({
  line: () => undefined,
  part: () => undefined,
  end: () => undefined,
});

/** `consume` as a {@link BodyConsumer}. */
function bodyConsumer(consume: LineConsumer): BodyConsumer {
  if (typeof consume !== 'function') return consume;
  let parts: Buffer[] = [];
  return {
    line: consume,
    part: (bytes) => parts.push(Buffer.from(bytes)),
    end: () => {
      const bytes = Buffer.concat(parts);
      parts = [];
      consume(bytes.toString('utf8'));
    },
  };
}

/**
 * Builds a value from body lines; one consumer is used for one snapshot
 * attempt only. A long line comes to `part` and `end` when it has them (see
 * {@link BodyConsumer}), else to `consume` joined.
 */
export interface SnapshotConsumer<T> {
  consume(line: string): void;
  part?(bytes: Buffer): void;
  end?(): void;
  finish(): T;
}

/** The snapshot {@link loadNewestSnapshot} restored. */
export interface LoadedSnapshot<T> {
  seq: number;
  ts: number;
  /** The data directory's seed from the header; undefined for a directory without one. */
  seed: string | undefined;
  /** The print of the code that wrote it (see codePrintOf); undefined when its header has none. */
  code: string | undefined;
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
  if (!sums.computesDigest) return;
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
  consume: LineConsumer,
  onProgress: ProgressListener | undefined,
  chunkSize: number,
  verifyDigest: boolean,
): SnapshotInfo {
  const sums = new SnapshotSums(verifyDigest);
  const consumer = bodyConsumer(consume);
  let header: SnapshotHeader | undefined;
  // The first error of the consumer. Reading goes on without consuming, so the
  // checksums can tell a damaged file (a flipped byte can make a class name
  // unknown) from an intact one whose content this program cannot take.
  let consumeFailed: { error: unknown } | undefined;
  const attempt = (take: () => void): void => {
    if (consumeFailed !== undefined) return;
    try {
      take();
    } catch (error) {
      consumeFailed = { error };
    }
  };
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
        consumer.line(text);
      } catch (error) {
        consumeFailed = { error };
      }
    },
    longPart: (bytes) => attempt(() => consumer.part(bytes)),
    longEnd: () => {
      sums.addLine();
      attempt(() => consumer.end());
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
    throw corrupt(path, `${corruptReason(err)}; reading it had failed first: ${what}`);
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
  if (unterminatedBytes > 0) {
    throw corrupt(
      path,
      isTrailerLine(path, last)
        ? `${unterminatedBytes} bytes follow its trailer line (something was appended to the file)`
        : 'the last line is incomplete (the file is truncated)',
    );
  }
  if (last === undefined) throw corrupt(path, 'there is no trailer line (the file is truncated)');
  const trailer = parseTrailer(path, lineText(last));
  verifyTrailer(path, trailer, sums);
  return infoOf(header, trailer);
}

/**
 * Streams the snapshot at `path`: checks the header (format, version, seq of
 * the file name), hands each body line to `consume` as it is read (a long
 * one in pieces, see {@link BodyConsumer}), then checks
 * the trailer (line and byte counts, CRC-32, and with `verifyDigest` the
 * SHA-256 digest). Reads in chunks of `chunkSize` bytes; lines may be longer
 * than a chunk.
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
  consume: LineConsumer,
  onProgress?: ProgressListener,
  chunkSize: number = READ_CHUNK_BYTES,
  /**
   * Also recompute the body's SHA-256 and compare it with the trailer's: what
   * verifyReplay compares replayed states with. A restore checks the CRC-32
   * alone, which covers the same bytes (and the header), for damage.
   */
  verifyDigest = true,
): SnapshotInfo {
  checkChunkSize(chunkSize);
  const fd = openSnapshotFile(fs, path);
  try {
    return readOpen(fs, fd, path, consume, onProgress, chunkSize, verifyDigest);
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
  // Damage is the CRC-32's to find: the SHA-256 over the same bytes cost a
  // restore about 6% (bench/RESULTS.md, open) and served only verifyReplay.
  const { part, end } = consumer;
  const consume: LineConsumer =
    part !== undefined && end !== undefined
      ? {
          line: (line) => consumer.consume(line),
          part: (bytes) => part.call(consumer, bytes),
          end: () => end.call(consumer),
        }
      : (line) => consumer.consume(line);
  const info = readSnapshot(fs, path, consume, onProgress, chunkSize, false);
  const { seq, ts, seed, code, digest } = info;
  return { seq, ts, seed, code, value: consumer.finish(), path, digest };
}

/**
 * Restores from the newest valid snapshot in `dir`. A snapshot that is damaged
 * (SNAPSHOT_CORRUPT from the file or from the consumer) is reported through
 * `warn` and the next older one is tried with a fresh consumer from
 * `makeConsumer`; any other error propagates as is. Progress restarts for each
 * file tried.
 *
 * Returns undefined when `dir` holds no snapshot. Throws SNAPSHOT_CORRUPT
 * listing them when snapshots exist but none is valid (the advice says
 * whether the journal can rebuild the state: `journalFirstSeq` gives the seq
 * of its first file, undefined when there is none; without it the advice is
 * conditional), naming both files when the snapshot it would load carries
 * another seed than an older intact one (a file from another directory: see
 * refuseForeign), and without falling back when the one to try next is no
 * regular file (see oddSnapshotError).
 */
export function loadNewestSnapshot<T>(
  fs: FileSystem,
  dir: string,
  makeConsumer: () => SnapshotConsumer<T>,
  warn: (message: string) => void,
  onProgress?: ProgressListener,
  chunkSize: number = READ_CHUNK_BYTES,
  journalFirstSeq?: () => number | undefined,
): LoadedSnapshot<T> | undefined {
  const snapshots = listSnapshots(fs, dir);
  if (snapshots.length === 0) return undefined;
  const failures: string[] = [];
  for (const [index, { path }] of snapshots.entries()) {
    const odd = oddSnapshotError(fs, path);
    if (odd !== undefined) throw odd;
    let loaded: LoadedSnapshot<T>;
    try {
      loaded = loadOne(fs, path, makeConsumer(), onProgress, chunkSize);
    } catch (err) {
      if (!isPrevalenceError(err, 'SNAPSHOT_CORRUPT')) throw err;
      const reason = corruptReason(err);
      failures.push(`${path} (${reason})`);
      const next =
        index < snapshots.length - 1
          ? 'restore falls back to the previous snapshot plus the journal after it'
          : 'no older snapshot is left to fall back to';
      warn(`snapshot ${path} cannot be used (${reason}); ${next}`);
      continue;
    }
    refuseForeign(fs, dir, loaded, snapshots.slice(index + 1), warn);
    if (index > 0) loaded.skippedSeq = snapshots[0]!.seq;
    return loaded;
  }
  throw noValidSnapshotError(
    dir,
    failures,
    journalFirstSeq === undefined ? null : journalFirstSeq(),
  );
}

/**
 * The SNAPSHOT_CORRUPT error for a directory none of whose snapshots is
 * valid: `failures` names each (`<path> (<reason>)`, newest first), and the
 * advice says whether the journal can rebuild the state (`journalFirstSeq`:
 * the seq of its first file, undefined when there is none, null when not
 * known).
 */
export function noValidSnapshotError(
  dir: string,
  failures: string[],
  journalFirstSeq: number | undefined | null,
): PrevalenceError {
  return new PrevalenceError(
    'SNAPSHOT_CORRUPT',
    `none of the ${failures.length} snapshots in ${dir} is valid: ${failures.join('; ')}. ` +
      rebuildAdvice(journalFirstSeq),
  );
}

const SEEDED_REPLAY_NOTE =
  "the journal does not hold the directory seed, so if the snapshots had one, replayed actions' " +
  'random() and uuid() values will differ: see docs/FORMAT.md';

/** What to do when no snapshot is valid, given where the journal starts (see loadNewestSnapshot). */
function rebuildAdvice(journalFirstSeq: number | undefined | null): string {
  if (journalFirstSeq === 1) {
    return (
      'Nothing was changed. Restore a snapshot file from a backup, or move the damaged files aside ' +
      `so the state is rebuilt from the journal alone, which starts at seq 1 (${SEEDED_REPLAY_NOTE})`
    );
  }
  if (journalFirstSeq === null) {
    return (
      'Restore a snapshot file from a backup, or move the damaged files aside so the state is ' +
      'rebuilt from the journal alone (possible only if it still holds every action since the ' +
      `start; ${SEEDED_REPLAY_NOTE})`
    );
  }
  // Each opens a sentence, after "Nothing was changed." (operator review: "changed. the journal").
  const journal =
    journalFirstSeq === undefined
      ? 'The directory holds no journal'
      : `The journal starts at seq ${journalFirstSeq}, not 1`;
  const from =
    journalFirstSeq === undefined ? '' : ` (its seq must be ${journalFirstSeq - 1} or later)`;
  return (
    `Nothing was changed. ${journal}, so it cannot rebuild the state alone: this directory ` +
    'cannot be restored without a valid snapshot. Copy a snapshot file of this directory in from ' +
    `a backup${from}, such as one a takeSnapshot({ into }) backup holds, or restore the whole ` +
    'directory from a backup'
  );
}

/**
 * Refuses `loaded` when an older snapshot that is intact carries another
 * seed: every snapshot of a directory repeats the seed drawn when it was
 * created, so one of the two was copied in from another directory, and
 * loading the wrong one would replace the state and lose the directory's own
 * actions. Two older snapshots are compared: the nearest one, and the oldest
 * one (two foreign snapshots copied in agree with each other, so the nearest
 * alone let them pass: operator review). Only their headers and trailers are
 * read when the seeds agree; a mismatch is believed only from a file whose
 * checksums hold (a flipped byte in a header could fake one). A snapshot
 * without a seed is not compared (see compareSeed).
 */
function refuseForeign<T>(
  fs: FileSystem,
  dir: string,
  loaded: LoadedSnapshot<T>,
  older: SnapshotEntry[],
  warn: (message: string) => void,
): void {
  if (loaded.seed === undefined) return;
  const nearest = compareSeed(fs, dir, loaded, older);
  if (nearest < 0) {
    // The check could not be made: said, not passed over in silence (review).
    if (older.length > 0) {
      warn(
        `snapshot ${loaded.path} was loaded without its seed being compared with an older snapshot's: none of the ${older.length} older ones could be read (damaged, or the process may not read them), so the check that it comes from this directory, not copied in from another, was not made. If it may come from elsewhere, check it against a backup`,
      );
    }
    return;
  }
  const beyond = older.slice(nearest + 1).reverse();
  // Named in a refusal only when it carries the same seed: a seedless one (a rebuild's) tells
  // nothing of where the loaded one came from (review: the advice moved it out too).
  const between = older[nearest]!.path;
  const agreeing = seedOf(fs, between) === loaded.seed ? between : undefined;
  compareSeed(fs, dir, loaded, beyond, agreeing);
}

/**
 * Compares the seed of `loaded` with that of the first of `candidates` whose
 * header and trailer can be read, skipping damaged and unreadable ones: returns its index
 * when it carries the same seed or none (one written before seeds existed,
 * or after a rebuild from the journal alone, which drew none, tells nothing
 * about where the other came from: a rebuilt directory with one of its own
 * snapshots put back is no foreign file), -1 when none can be read; throws
 * SNAPSHOT_CORRUPT when it is intact and carries another seed. `agreeing`
 * names a snapshot between the two already found to carry the seed of
 * `loaded`, for the message.
 */
function compareSeed<T>(
  fs: FileSystem,
  dir: string,
  loaded: LoadedSnapshot<T>,
  candidates: SnapshotEntry[],
  agreeing?: string,
): number {
  for (const [index, other] of candidates.entries()) {
    let seed: string | undefined;
    try {
      seed = snapshotInfo(fs, other.path).seed;
      if (seed === undefined || seed === loaded.seed) return index;
      readSnapshot(fs, other.path, SKIP_BODY);
    } catch (err) {
      // Damaged, or one the process may not read (another owner): it tells
      // nothing, and the open does not need it (review: refusing it broke
      // opens). Any other failure (EMFILE, EIO) stops the open, as before.
      if (isPrevalenceError(err, 'SNAPSHOT_CORRUPT') || isPermissionRefusal(err)) continue;
      throw err;
    }
    throw foreignSeedError(dir, loaded, other.path, seed, agreeing);
  }
  return -1;
}

/** True for a refusal to open a file for want of permission: openPermitted's, or the OS error itself. */
function isPermissionRefusal(err: unknown): boolean {
  return (
    isPermissionError(err) ||
    (isPrevalenceError(err) && isPermissionError((err as Error & { cause?: unknown }).cause))
  );
}

/** The seed in the header of snapshot `file`; undefined when it carries none or cannot be read. */
function seedOf(fs: FileSystem, file: string): string | undefined {
  try {
    return snapshotInfo(fs, file).seed;
  } catch {
    return undefined;
  }
}

function foreignSeedError<T>(
  dir: string,
  loaded: LoadedSnapshot<T>,
  other: string,
  seed: string,
  agreeing: string | undefined,
): PrevalenceError {
  const between =
    agreeing === undefined
      ? ''
      : ` (${agreeing}, between them, carries the seed of the first, so it comes from the same place)`;
  return new PrevalenceError(
    'SNAPSHOT_CORRUPT',
    `snapshot ${loaded.path} carries seed ${loaded.seed} but the older snapshot ${other} ` +
      `carries seed ${seed}${between}: every snapshot of a data directory carries the seed it was created ` +
      'with, so one of the two comes from another directory (a file copied in from elsewhere), and ' +
      "restoring from the wrong one would replace this directory's state and lose its actions. " +
      `Nothing was changed. Move the one that does not belong out of ${dir}` +
      (agreeing === undefined ? '' : ', and every other snapshot that carries its seed,') +
      " and open again (the seed is in the first line of each snapshot file; the directory's other " +
      'snapshots and its backups carry its own)',
  );
}
