import { type FileSystem, inDir } from '../fs/seam';
import { FileCursor } from './cursor';
import type { JournalFile } from './files';
import { fileSize, journalFileName, listJournalFiles, openJournalFile } from './files';
import type { DecodeResult, JournalRecord } from './record';
import { MAX_HEADER_BYTES, RECORD_START, decodeRecordAt } from './record';
import type { Damage } from './recover';
import { corruptError, dropTornTail, mendLastNewline, setDamageAside } from './recover';

const NEWLINE = new Uint8Array([0x0a]);

export type { JournalRecord } from './record';

/** Options of {@link replayJournal}. */
export interface ReplayOptions {
  fs: FileSystem;
  dir: string;
  /** The seq the restored snapshot includes (0 without a snapshot); later records are passed on. */
  afterSeq: number;
  /** What to do about damage other than a torn last record: throw (default) or cut the journal there. */
  recover?: 'refuse' | 'truncate';
  warn: (message: string) => void;
  onProgress?: ((bytesDone: number, bytesTotal: number) => void) | undefined;
}

/** What {@link replayJournal} read: the last seq of the restored state and how many records it passed on. */
export interface ReplayResult {
  /** The larger of `afterSeq` and the last valid journal record's seq. */
  lastSeq: number;
  replayed: number;
}

interface Walk {
  opts: ReplayOptions;
  files: JournalFile[];
  onRecord: (rec: JournalRecord) => void;
  /** The seq the next record must have; undefined before the first file. */
  expected: number | undefined;
  replayed: number;
  progress: (fileIndex: number, readUpTo: number) => void;
  /** True when an older file than the first of `files` exists. */
  mayStepBack: boolean;
}

/** What {@link readFile} returns when reading must start one file earlier. */
const STEP_BACK = Symbol('step back');

/**
 * Reads the journal in `opts.dir` and passes every record with
 * seq > `afterSeq` to `onRecord`, in order. Files are streamed in chunks;
 * files that end at or before `afterSeq` are skipped; every record read is
 * fully validated, and seqs must be contiguous from `afterSeq + 1`.
 *
 * A torn last record in the newest file (a crash mid-write) is cut off with a
 * warning. Any other damage throws `JOURNAL_CORRUPT`, or with
 * `recover: 'truncate'` is set aside (see {@link setDamageAside}) and the
 * journal is treated as ending at the last good record. Errors thrown by
 * `onRecord` propagate unchanged.
 */
export function replayJournal(
  opts: ReplayOptions,
  onRecord: (rec: JournalRecord) => void,
): ReplayResult {
  const all = listJournalFiles(opts.fs, opts.dir);
  let start = firstNeeded(all, opts.afterSeq);
  let walk: Walk;
  for (;;) {
    const files = all.slice(start);
    walk = {
      opts,
      files,
      onRecord,
      expected: undefined,
      replayed: 0,
      progress: progressReporter(opts, files),
      mayStepBack: start > 0,
    };
    if (!walkFiles(walk)) break;
    start--;
  }
  walk.progress(walk.files.length, 0);
  const last = walk.expected === undefined ? opts.afterSeq : walk.expected - 1;
  return { lastSeq: Math.max(opts.afterSeq, last), replayed: walk.replayed };
}

/** Reads the files of `walk`; true when nothing was read because reading must start one file earlier. */
function walkFiles(walk: Walk): boolean {
  const { opts, files } = walk;
  for (let i = 0; i < files.length; i++) {
    const damage = readFile(walk, i);
    if (damage === STEP_BACK) return true;
    if (damage === undefined) continue;
    if (opts.recover !== 'truncate') throw corruptError(damage);
    setDamageAside(opts.fs, opts.dir, damage, opts.warn);
    walk.expected = damage.expectedSeq;
    return false;
  }
  return false;
}

/** Index of the first file that may hold a record after `afterSeq` (by the next file's name). */
function firstNeeded(files: JournalFile[], afterSeq: number): number {
  let i = 0;
  while ((files[i + 1]?.firstSeq ?? Infinity) - 1 <= afterSeq) i++;
  return i;
}

function progressReporter(
  opts: ReplayOptions,
  files: JournalFile[],
): (fileIndex: number, readUpTo: number) => void {
  const report = opts.onProgress;
  if (report === undefined) return () => {};
  const before: number[] = [];
  let total = 0;
  for (const f of files) {
    before.push(total);
    total += fileSize(opts.fs, f.path);
  }
  before.push(total);
  // The walk reports once more at its end (files it skipped add nothing): not twice the same figure.
  let last = -1;
  return (i, upTo) => {
    const done = Math.min(total, (before[i] ?? 0) + upTo);
    if (done === last) return;
    last = done;
    report(done, total);
  };
}

/** Checks the name of file `i` against the seq expected next; a damage when they disagree. */
function checkName(walk: Walk, i: number, file: JournalFile): Damage | undefined {
  const { afterSeq } = walk.opts;
  const at = (expectedSeq: number, reason: string): Damage => ({
    files: walk.files,
    index: i,
    offset: 0,
    expectedSeq,
    reason,
  });
  if (walk.expected === undefined && file.firstSeq > afterSeq + 1) {
    return at(
      afterSeq + 1,
      `the journal starts at seq ${file.firstSeq} (by this file's name) but the first record needed is seq ${afterSeq + 1}: records are missing`,
    );
  }
  if (walk.expected !== undefined && file.firstSeq !== walk.expected) {
    return at(
      walk.expected,
      `found seq ${file.firstSeq} by this file's name, but the previous journal file ends at seq ${walk.expected - 1}`,
    );
  }
  return undefined;
}

/**
 * The damage for file `i` when its name is not the seq expected there but its
 * first record is, and no file has the name of that seq: the file was
 * renamed, and renaming it back restores every record (operator review: it
 * was reported as a gap, with advice to truncate that kept none of them).
 * Undefined otherwise. Refused all the same: a name that disagrees is never
 * read past silently.
 */
function renamedFile(walk: Walk, i: number, cursor: FileCursor): Damage | undefined {
  const file = walk.files[i] as JournalFile;
  const { fs, dir, afterSeq } = walk.opts;
  const expected = walk.expected ?? afterSeq + 1;
  if (file.firstSeq === expected || cursor.size === 0) return undefined;
  const first = decodeAt(cursor, 0);
  if (!first.ok || first.record.seq !== expected) return undefined;
  const name = journalFileName(expected);
  if (fs.existsSync(inDir(dir, name))) return undefined;
  return {
    files: walk.files,
    index: i,
    offset: 0,
    expectedSeq: expected,
    reason: `its name says seq ${file.firstSeq}, but its first record is seq ${expected}, the one expected here: the file was renamed, and its records are there under the wrong name`,
    renameTo: name,
  };
}

function readFile(walk: Walk, i: number): Damage | typeof STEP_BACK | undefined {
  const file = walk.files[i] as JournalFile;
  const { fs } = walk.opts;
  // Before the name is checked: what the entry is says more than its name.
  const fd = openJournalFile(fs, file.path);
  try {
    const size = fs.fstatSize(fd);
    if (
      size === 0 &&
      walk.expected === undefined &&
      walk.mayStepBack &&
      i < walk.files.length - 1
    ) {
      // An empty file other than the newest holds nothing, so its name says
      // nothing about where the file before it ends: that one may hold records needed.
      return STEP_BACK;
    }
    if (size === 0 && walk.expected !== undefined && file.firstSeq < walk.expected) {
      // Its name falls among records already read, and it has none: nothing is missing.
      walk.opts.warn(
        `journal file ${file.path} is empty and its name (seq ${file.firstSeq}) falls among the records of the journal file before it, which ends at seq ${walk.expected - 1}: it holds nothing and was passed over. Delete it`,
      );
      return undefined;
    }
    const cursor = new FileCursor(fs, fd, size, (upTo) => walk.progress(i, upTo));
    const nameDamage = renamedFile(walk, i, cursor) ?? checkName(walk, i, file);
    if (nameDamage !== undefined) return nameDamage;
    walk.expected = file.firstSeq;
    return readRecords(walk, i, cursor);
  } finally {
    fs.closeSync(fd);
  }
}

function readRecords(walk: Walk, i: number, cursor: FileCursor): Damage | undefined {
  const file = walk.files[i] as JournalFile;
  const newest = i === walk.files.length - 1;
  let expected = walk.expected as number;
  const damage = (offset: number, reason: string): Damage => {
    walk.expected = expected;
    return { files: walk.files, index: i, offset, expectedSeq: expected, reason };
  };
  const { afterSeq } = walk.opts;
  for (let off = 0; off < cursor.size;) {
    let r = decodeAt(cursor, off);
    if (!r.ok) {
      const next = findValidRecord(cursor, off + 1);
      if (expected <= afterSeq) {
        // Damage among records the restored snapshot already holds: not needed.
        const resume = coveredUpTo(walk, cursor, next, expected);
        if (resume !== undefined) {
          skippedCovered(walk, file, off, expected, resume.seq, r.reason);
          expected = resume.seq;
          off = resume.offset;
          continue;
        }
      }
      if (!newest) {
        return damage(off, `${r.reason}, in a journal file that is not the newest one`);
      }
      if (next >= 0) {
        return damage(
          off,
          `${r.reason}; a valid record follows at byte offset ${next}, so this is not a torn write from a crash`,
        );
      }
      const mended = recordLackingNewline(cursor, off);
      // Only the record expected next is kept; another one, written whole too, is cut after a copy.
      if (mended === undefined || mended.record.seq !== expected) {
        // A record whose line is there to its newline was written whole: a
        // process killed mid-write leaves a prefix, which holds no newline.
        const whole = mended !== undefined || cursor.indexOf(NEWLINE, off) >= 0;
        const reason =
          mended === undefined
            ? r.reason
            : `${r.reason}; it verifies otherwise, but holds seq ${mended.record.seq} where seq ${expected} belongs`;
        dropTornTail(walk.opts.fs, file, off, cursor.size, reason, whole, walk.opts.warn);
        break;
      }
      const { record, length, missing } = mended;
      mendLastNewline(walk.opts.fs, file, off + length - 1, record.seq, missing, walk.opts.warn);
      // The last record, checked below like any other; nothing follows it.
      r = { ok: true, record, length };
      cursor.size = off + length;
    }
    const { seq } = r.record;
    if (off === 0 && seq !== file.firstSeq) {
      // Not damage a crash or the disk leaves: another file under this name
      // (an older one copied over it), so the records it should hold are gone.
      return damage(
        0,
        `its first record is seq ${seq} but its name says seq ${file.firstSeq}: it is not the file its name says (another journal file copied under this name?), so the records from seq ${file.firstSeq} on that it held are missing`,
      );
    }
    if (seq !== expected) {
      if (seq > expected && seq - 1 <= afterSeq) {
        // Records missing where the restored snapshot already holds them.
        skippedCovered(walk, file, off, expected, seq, 'missing records');
        expected = seq;
        continue;
      }
      if (seq < expected && expected <= afterSeq + 1) {
        // A record repeated among those the restored snapshot holds.
        skippedCovered(walk, file, off, seq, seq + 1, `seq ${seq} again`);
        off += r.length;
        continue;
      }
      return damage(off, `found seq ${seq} (${seq > expected ? 'a gap' : 'a repeat'})`);
    }
    if (seq > walk.opts.afterSeq) {
      walk.onRecord(r.record);
      walk.replayed++;
    }
    expected++;
    off += r.length;
  }
  walk.expected = expected;
  return undefined;
}

/**
 * Where reading resumes after damage met at a seq the restored snapshot
 * holds: the valid record at `next` in this file, when every record the
 * damage spoils is one the snapshot holds (seq <= afterSeq); undefined when
 * records after the snapshot may be lost in it. (Damage running to the end
 * of a file cannot be passed over: a file whose records the snapshot holds
 * up to its end is not read at all.)
 */
function coveredUpTo(
  walk: Walk,
  cursor: FileCursor,
  next: number,
  expected: number,
): { offset: number; seq: number } | undefined {
  if (next < 0) return undefined;
  const r = decodeAt(cursor, next);
  // Not below the seq expected: a repeat there would hide the records in between.
  if (!r.ok || r.record.seq < expected || r.record.seq - 1 > walk.opts.afterSeq) return undefined;
  return { offset: next, seq: r.record.seq };
}

/** Warns that damage among records the snapshot holds was passed over (the file is left as it is). */
function skippedCovered(
  walk: Walk,
  file: JournalFile,
  offset: number,
  from: number,
  resumeAt: number,
  reason: string,
): void {
  const span = resumeAt - 1 > from ? `seq ${from} to ${resumeAt - 1}` : `seq ${from}`;
  walk.opts.warn(
    `journal file ${file.path} is damaged at byte offset ${offset} (${reason}), in records (${span}) the snapshot at seq ${walk.opts.afterSeq} already holds: passed over, and the file left as it is. A restore that needs them (one falling back past that snapshot) would refuse; restore the file from a backup if you have one`,
  );
}

/** Decodes the record at file offset `off`, loading more of the file when the record is longer than the window. */
function decodeAt(cursor: FileCursor, off: number): DecodeResult {
  let i = cursor.load(off, MAX_HEADER_BYTES);
  let r = decodeRecordAt(cursor.buf, i, cursor.limit);
  if (!r.ok && r.needed !== undefined && off + r.needed <= cursor.size) {
    i = cursor.load(off, r.needed);
    r = decodeRecordAt(cursor.buf, i, cursor.limit);
  }
  return r;
}

/**
 * The record at `off`, the last thing in the file, when all it lacks is its
 * closing newline: the final byte is another one, or the file ends just
 * before it (`missing`). Its len, checksum and "}" verify, so it was
 * written whole.
 */
function recordLackingNewline(
  cursor: FileCursor,
  off: number,
): { record: JournalRecord; length: number; missing: boolean } | undefined {
  const tail = cursor.size - off;
  if (tail < 2) return undefined;
  const i = cursor.load(off, tail);
  if (cursor.limit - i < tail) return undefined;
  for (const missing of [true, false]) {
    const line = Buffer.alloc(missing ? tail + 1 : tail);
    cursor.buf.copy(line, 0, i, i + (missing ? tail : tail - 1));
    line[line.length - 1] = 0x0a;
    const r = decodeRecordAt(line, 0, line.length);
    if (r.ok && r.length === line.length) return { record: r.record, length: line.length, missing };
  }
  return undefined;
}

/** File offset of the first valid record starting at or after `from`, or -1. */
function findValidRecord(cursor: FileCursor, from: number): number {
  for (let pos = from; ;) {
    const at = cursor.indexOf(RECORD_START, pos);
    if (at < 0 || decodeAt(cursor, at).ok) return at;
    pos = at + 1;
  }
}
