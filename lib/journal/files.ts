import { PrevalenceError } from '../errors';
import type { FileSystem } from '../fs/seam';
import { inDir } from '../fs/seam';
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

/** The size of `file` in bytes. */
export function fileSize(fs: FileSystem, file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    return fs.fstatSize(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates `journal-<firstSeq>.jsonl` for appending (it must not exist) and fsyncs `dir` so it survives a power cut. */
export function createJournalFile(
  fs: FileSystem,
  dir: string,
  firstSeq: number,
): { fd: number; path: string } {
  const path = inDir(dir, journalFileName(firstSeq));
  const fd = fs.openSync(path, 'ax');
  try {
    fs.fsyncDirSync(dir);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  return { fd, path };
}

const TAIL_BYTES = 64 * 1024;

/**
 * The seq of the last record in `file` (`firstSeq - 1` when it is empty),
 * found by reading backwards from the end, so opening a writer on a large
 * file stays cheap. Throws `JOURNAL_CORRUPT` when the file does not end with
 * a valid record: the reader, which repairs a torn tail, must run first.
 */
export function lastSeqOf(fs: FileSystem, file: JournalFile): number {
  const fd = fs.openSync(file.path, 'r');
  try {
    const size = fs.fstatSize(fd);
    if (size === 0) return file.firstSeq - 1;
    for (let chunk = TAIL_BYTES; ; chunk *= 4) {
      const len = Math.min(chunk, size);
      const buf = Buffer.allocUnsafe(len);
      const got = readAt(fs, fd, buf, len, size - len);
      // The newline that ends the previous line (the last byte is this line's own).
      const nl = got >= 2 ? buf.lastIndexOf(0x0a, got - 2) : -1;
      if (nl < 0 && len < size) continue;
      const r = decodeRecordAt(buf, nl + 1, got);
      if (r.ok && nl + 1 + r.length === got) return r.record.seq;
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
