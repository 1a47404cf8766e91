import { PrevalenceError } from '../errors';
import { oddEntry } from '../fs/entries';
import { openPermitted } from '../fs/permission';
import type { FileSystem } from '../fs/seam';
import { fsyncFile, inDir, unlinkOrWarn } from '../fs/seam';
import { readAt } from './cursor';
import { decodeRecordAt } from './record';

/** A journal file in the data directory and the seq of its first record (from its name). */
export interface JournalFile {
  path: string;
  firstSeq: number;
}

const JOURNAL_NAME = /^journal-(\d{16})\.jsonl$/;

/** The name of the journal file whose first record has seq `firstSeq`: `journal-<16 digits>.jsonl`. */
export function journalFileName(firstSeq: number): string {
  return `journal-${String(firstSeq).padStart(16, '0')}.jsonl`;
}

/**
 * The journal files in `dir`, oldest first. Other names (snapshots, copies
 * such as `*.damaged-*`) are ignored; a missing directory has no files.
 */
export function listJournalFiles(fs: FileSystem, dir: string): JournalFile[] {
  if (!fs.existsSync(dir)) return [];
  const files: JournalFile[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = JOURNAL_NAME.exec(name);
    if (m?.[1] !== undefined) files.push({ path: inDir(dir, name), firstSeq: Number(m[1]) });
  }
  return files.sort((a, b) => a.firstSeq - b.firstSeq);
}

/**
 * Throws JOURNAL_CORRUPT when the entry `file` is no regular file (a
 * directory, a FIFO, a symbolic link to nothing): no version of prevalent
 * makes one, so it is not damage to cut or set aside but someone's to move.
 */
export function refuseOddJournalFile(fs: FileSystem, file: string): void {
  const odd = oddEntry(fs, file);
  if (odd === undefined) return;
  throw new PrevalenceError(
    'JOURNAL_CORRUPT',
    `journal file ${file} ${odd}: prevalent never makes one. Move it out of the directory and open again (if it took the place of a journal file, put that file back from a backup). Nothing was changed`,
  );
}

/**
 * Opens the journal file `file` for reading, after {@link refuseOddJournalFile};
 * throws INVALID_OPTION naming it when the process may not read it.
 */
export function openJournalFile(fs: FileSystem, file: string): number {
  refuseOddJournalFile(fs, file);
  return openPermitted(fs, file, 'r', 'INVALID_OPTION', `journal file ${file} to read it`);
}

/** The size of `file` in bytes. */
export function fileSize(fs: FileSystem, file: string): number {
  const fd = openJournalFile(fs, file);
  try {
    return fs.fstatSize(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Creates `journal-<firstSeq>.jsonl` for appending (it must not exist; opened
 * readable too, see JournalWriter) and fsyncs `dir` so it survives a power cut.
 */
export function createJournalFile(
  fs: FileSystem,
  dir: string,
  firstSeq: number,
): { fd: number; path: string } {
  const path = inDir(dir, journalFileName(firstSeq));
  const fd = fs.openSync(path, 'ax+');
  try {
    fs.fsyncDirSync(dir);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return { fd, path };
}

const TAIL_BYTES = 64 * 1024;

/** Where the records of a journal file end, and the seq of the last one. */
export interface JournalEnd {
  /** `firstSeq - 1` for a file without records. */
  lastSeq: number;
  /** Byte offset just past the last record (zero bytes after it, left by a crash, are no records). */
  end: number;
}

/** Offset just past the last non-zero byte among the `got` bytes of `buf` (0 when all are zero). */
function endOfData(buf: Uint8Array, got: number): number {
  let i = got;
  while (i > 0 && buf[i - 1] === 0) i--;
  return i;
}

/**
 * The seq of the last record in `file` and where it ends, found by reading
 * backwards from the end (over zero bytes a crash may leave after it), so
 * opening a writer on a large file stays cheap. Throws `JOURNAL_CORRUPT` when
 * the file does not end with a valid record: the reader, which repairs a torn
 * tail, must run first.
 */
export function journalEnd(fs: FileSystem, file: JournalFile): JournalEnd {
  const fd = openJournalFile(fs, file.path);
  try {
    let size = fs.fstatSize(fd);
    for (let chunk = TAIL_BYTES; ; chunk *= 4) {
      if (size === 0) return { lastSeq: file.firstSeq - 1, end: 0 };
      const len = Math.min(chunk, size);
      const buf = Buffer.allocUnsafe(len);
      const got = endOfData(buf, readAt(fs, fd, buf, len, size - len));
      if (got === 0) {
        // Only zeros in this window: look further back.
        size -= len;
        continue;
      }
      // The newline that ends the previous line (the last byte is this line's own).
      const nl = got >= 2 ? buf.lastIndexOf(0x0a, got - 2) : -1;
      if (nl < 0 && len < size) continue;
      const r = decodeRecordAt(buf, nl + 1, got);
      if (r.ok && nl + 1 + r.length === got) {
        return { lastSeq: r.record.seq, end: size - len + got };
      }
      const reason = r.ok ? 'unexpected bytes after the last record' : r.reason;
      throw new PrevalenceError(
        'JOURNAL_CORRUPT',
        `journal file ${file.path} does not end with a valid record (${reason}); read the journal with replayJournal (which repairs a torn tail) before opening a writer on it`,
      );
    }
  } finally {
    fs.closeSync(fd);
  }
}

const UNSHARED_TEMP = '.unshared.tmp';

/**
 * Gives this directory journal files of its own where it shares them with
 * another (hard links, as `cp -al` or rsnapshot make): each is copied to a
 * new file renamed over it. Journal files are appended to, and cut when
 * damaged, in place, so a shared one would take the other directory's
 * records into this one, or lose them there. Run before the journal is
 * read; without `fs.linkCount` nothing is done. Entries that are no regular
 * file are left for the reader, which refuses them if it needs them.
 */
export function unshareJournalFiles(
  fs: FileSystem,
  dir: string,
  warn: (message: string) => void,
): void {
  if (fs.linkCount === undefined) return;
  // A copy an earlier open did not finish (a crash before its rename).
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith(UNSHARED_TEMP))
      unlinkOrWarn(
        fs,
        inDir(dir, name),
        warn,
        (why) => `could not delete the unfinished copy ${name} (${why})`,
      );
  }
  const copied: string[] = [];
  for (const { path } of listJournalFiles(fs, dir)) {
    // A directory has several links and cannot be copied; a broken link has no count.
    if (oddEntry(fs, path) !== undefined || fs.linkCount(path) <= 1) continue;
    const temp = `${path}${UNSHARED_TEMP}`;
    fs.copyFileSync(path, temp);
    fsyncFile(fs, temp);
    fs.renameSync(temp, path);
    copied.push(path);
  }
  if (copied.length === 0) return;
  fs.fsyncDirSync(dir);
  warn(
    `${copied.join(', ')} ${copied.length > 1 ? 'were' : 'was'} shared with another directory (hard links, as cp -al makes): this directory now has ${copied.length > 1 ? 'copies' : 'a copy'} of its own, so neither directory writes into the other's journal`,
  );
}
