import * as path from 'node:path';
import { PrevalenceError } from '../errors';
import { openPermitted } from '../fs/permission';
import { fsyncFile, writeFully, type FileSystem } from '../fs/seam';
import type { JournalFile } from './files';

/** Where the journal stops being trustworthy, as found by the reader. */
export interface Damage {
  /** The journal files the reader walked, oldest first. */
  files: JournalFile[];
  /** Index in `files` of the damaged file. */
  index: number;
  /** Byte offset in that file of the first untrustworthy byte. */
  offset: number;
  /** The seq the record at `offset` should have had. */
  expectedSeq: number;
  /** What is wrong there. */
  reason: string;
  /**
   * The name the file must have, when it holds the records expected there
   * under another name (it was renamed): no damage, and renaming it back is
   * the way out, not truncating.
   */
  renameTo?: string;
}

function damagedFile(d: Damage): JournalFile {
  const file = d.files[d.index];
  if (file === undefined) throw new Error(`no journal file at index ${d.index}`);
  return file;
}

/** What each error of {@link corruptError} found damaged (read by verifyReplay). */
const damageFound = new WeakMap<PrevalenceError, DamageFound>();

/** The first record a reader could not read, and where the damage is. */
export interface DamageFound {
  seq: number;
  /** File, byte offset, seq and what is wrong, without the advice the error adds. */
  description: string;
  /** The name to rename the file back to, when it was renamed (see {@link Damage}). */
  renameTo?: string | undefined;
}

/** What a `JOURNAL_CORRUPT` error from {@link corruptError} found damaged. */
export function damageFoundBy(err: unknown): DamageFound | undefined {
  return err instanceof PrevalenceError ? damageFound.get(err) : undefined;
}

/** The `JOURNAL_CORRUPT` error for `d`, naming file, offset and seq, and the way out. */
export function corruptError(d: Damage): PrevalenceError {
  const file = damagedFile(d);
  const description =
    d.renameTo === undefined
      ? `journal file ${file.path} is damaged at byte offset ${d.offset} (expected seq ${d.expectedSeq}): ${d.reason}`
      : `journal file ${file.path} has the wrong name (expected seq ${d.expectedSeq} there): ${d.reason}`;
  const err = new PrevalenceError('JOURNAL_CORRUPT', `${description}. ${adviceFor(d)}`);
  damageFound.set(err, { seq: d.expectedSeq, description, renameTo: d.renameTo });
  return err;
}

function adviceFor(d: Damage): string {
  if (d.renameTo !== undefined) {
    return (
      `Nothing was changed. Rename it back to ${d.renameTo} (in the same directory) and open ` +
      `again: its records are then read. (recover: 'truncate' would set it aside instead and keep ` +
      `only the records before seq ${d.expectedSeq}: not what is needed here.)`
    );
  }
  if (d.expectedSeq === 1 && d.index === 0 && d.offset === 0) {
    // Truncating keeps nothing here; for a pruned journal whose snapshots were moved aside
    // (it starts after seq 1) only a snapshot helps.
    return `Nothing was changed. The damage is at the journal's first record (seq 1), so recover: 'truncate' would keep no record at all. Restore the journal from a backup; if the directory's snapshots were moved aside (a pruned journal starts after seq 1), put a valid one back.`;
  }
  return (
    `Nothing was changed. Restore the journal from a backup, or reopen with recover: 'truncate' ` +
    `to keep only the records before seq ${d.expectedSeq} (the damaged file is copied aside before it is cut, ` +
    `later journal files are renamed aside; nothing is deleted).`
  );
}

/** Cuts `file` to `length` bytes and makes the new length durable. */
export function truncateFile(fs: FileSystem, file: string, length: number): void {
  const fd = openPermitted(
    fs,
    file,
    'r+',
    'JOURNAL_WRITE_FAILED',
    `journal file ${file} to cut it at byte ${length}`,
  );
  try {
    fs.ftruncateSync(fd, length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Drops a torn last record (a crash in the middle of a write) and says so
 * through `warn`. One written `whole`, to its newline, that fails its check
 * was not torn by a killed process (which leaves a prefix, with no newline)
 * but by a power cut during its write or a damaged disk, and it may have
 * been acknowledged: its file is copied aside before the cut. A read-only
 * reader (verifyReplay) copies and cuts nothing.
 */
export function dropTornTail(
  fs: FileSystem,
  file: JournalFile,
  offset: number,
  size: number,
  reason: string,
  whole: boolean,
  warn: (message: string) => void,
): void {
  if (whole) {
    const copy = copyAside(fs, file.path, asideStamp());
    truncateFile(fs, file.path, offset);
    warn(
      `journal file ${file.path}: dropped a damaged last record at byte offset ${offset} ` +
        `(${size - offset} bytes: ${reason}); it was written whole, so a power cut during its ` +
        `write or a damaged disk left it (in 'always' mode, one acknowledged before the damage is lost ` +
        `with it). ` +
        (copy !== undefined
          ? `The file as it was is kept in ${copy}`
          : 'The file was left as it is (read only)'),
    );
    return;
  }
  truncateFile(fs, file.path, offset);
  warn(
    `journal file ${file.path}: dropped an incomplete last record at byte offset ${offset} ` +
      `(${size - offset} bytes: ${reason}); a crash during that write leaves exactly this behind, ` +
      `and the write had not completed`,
  );
}

/**
 * Writes the closing newline of the last record of `file` again, at byte
 * `newlineAt` (over a damaged byte there, or after the file's end): the
 * record before it verifies (its len and checksum), so it was written whole
 * and may have been acknowledged; cutting it as a torn write lost it (the
 * corruption review). The file as it was is copied aside first; a read-only
 * reader (verifyReplay) reads the record and changes nothing.
 */
export function mendLastNewline(
  fs: FileSystem,
  file: JournalFile,
  newlineAt: number,
  seq: number,
  missing: boolean,
  warn: (message: string) => void,
): void {
  const copy = copyAside(fs, file.path, asideStamp());
  if (copy !== undefined) {
    truncateFile(fs, file.path, newlineAt);
    const fd = openPermitted(
      fs,
      file.path,
      'a',
      'JOURNAL_WRITE_FAILED',
      `journal file ${file.path} to write the newline of its last record again`,
    );
    try {
      writeFully(fs, fd, NEWLINE_BYTE);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  warn(
    `journal file ${file.path}: the last record (seq ${seq}) ${missing ? 'lacks' : 'has a damaged byte in place of'} its closing newline, but the record itself verifies (its len and checksum), so it is kept` +
      (copy !== undefined
        ? ` and its newline written again; the file as it was is kept in ${copy}`
        : ' (the file was left as it is: read only)'),
  );
}

const NEWLINE_BYTE = Buffer.from('\n');

/**
 * A name no file has yet for a copy of `file` set aside,
 * `<file>.<label>-<stamp>`: no open reads it as a data file.
 */
export function asideName(fs: FileSystem, file: string, stamp: string, label = 'damaged'): string {
  let name = `${file}.${label}-${stamp}`;
  for (let n = 2; fs.existsSync(name); n++) name = `${file}.${label}-${stamp}-${n}`;
  return name;
}

/** The time stamp in the names of files set aside (`<file>.damaged-<stamp>`). */
export function asideStamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/**
 * Copies `file` aside as `<file>.damaged-<stamp>`, durably (the copy and
 * the directory fsynced); its name, or undefined when nothing was written
 * (the read-only file system of verifyReplay).
 */
function copyAside(fs: FileSystem, file: string, stamp: string): string | undefined {
  const copy = asideName(fs, file, stamp);
  fs.copyFileSync(file, copy);
  if (!fs.existsSync(copy)) return undefined;
  fsyncFile(fs, copy);
  fs.fsyncDirSync(path.dirname(file));
  return copy;
}

/**
 * Recovery for `recover: 'truncate'`: copies the damaged file aside (durably,
 * before touching it), cuts it at `d.offset`, renames every later journal
 * file aside, and reports what was kept through `warn`. A damaged file with
 * nothing good in it (offset 0) is renamed aside whole.
 */
export function setDamageAside(
  fs: FileSystem,
  dir: string,
  d: Damage,
  warn: (message: string) => void,
): void {
  const stamp = asideStamp();
  const file = damagedFile(d);
  const copies: string[] = [];
  if (d.offset > 0) {
    const copy = copyAside(fs, file.path, stamp);
    truncateFile(fs, file.path, d.offset);
    if (copy !== undefined) copies.push(copy);
  }
  for (const later of d.files.slice(d.offset > 0 ? d.index + 1 : d.index)) {
    const aside = asideName(fs, later.path, stamp);
    fs.renameSync(later.path, aside);
    copies.push(aside);
  }
  fs.fsyncDirSync(dir);
  warn(
    `journal recovery: kept the records before seq ${d.expectedSeq}; ${file.path} was damaged at ` +
      `byte offset ${d.offset} (${d.reason})` +
      (d.offset > 0 ? ' and was cut there' : '') +
      `. The original data is kept in: ${copies.join(', ')}`,
  );
}
