import { PrevalenceError } from '../errors';
import { isPermissionError } from '../fs/permission';
import type { FileSystem } from '../fs/seam';
import { writeFully } from '../fs/seam';
import { createJournalFile, journalEnd, journalFileName, listJournalFiles } from './files';
import { Flusher } from './flusher';
import { RECORD_VERSION, RecordEncoder, type RecordVersion } from './record';
import { holdsSameBytes, identityOf, nameLeftFile, putBack } from './replaced';

/**
 * When an appended record must be on disk: `'always'` before `append`
 * returns; `'batch'` within `batchIntervalMs` (group commit, `sync()` to
 * wait); `'none'` when the OS decides (or at `sync()`/`close()`).
 */
export type Durability = 'always' | 'batch' | 'none';

/** Options of {@link JournalWriter.open}. */
export interface JournalWriterOptions {
  fs: FileSystem;
  dir: string;
  durability: Durability;
  batchIntervalMs: number;
  /** A file that would grow past this is closed and a new one started. */
  journalMaxBytes: number;
  /**
   * Told when a background fdatasync fails, which no caller may be waiting
   * to hear, and when a journal file was put back under its name.
   */
  warn?: ((message: string) => void) | undefined;
  /**
   * Why `dir` may no longer be written (its path leads to another directory
   * than the one the system locked), or undefined while it may: asked
   * before a rotation creates a file there, and at close.
   */
  dirMoved?: (() => string | undefined) | undefined;
}

/** What to fix before opening again, after `cause`: the disk, unless the error names a process limit (deployment review). */
function problemOf(cause: unknown): string {
  switch ((cause as NodeJS.ErrnoException | undefined)?.code) {
    case 'EMFILE':
    case 'ENFILE':
      return 'the open-file limit (close files the process holds, or raise it: ulimit -n)';
    case 'EFBIG':
      return 'the file-size limit (raise it: ulimit -f, or lower journalMaxBytes)';
    default:
      return 'the disk problem';
  }
}

/** The advice after a failed write: reads still work; what to fix, then reopen. */
function retryHint(cause: unknown): string {
  return `Reads still work; reopen the system once ${problemOf(cause)} is fixed`;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function checkOptions(opts: JournalWriterOptions, nextSeq: number): void {
  const problems: string[] = [];
  if (!['always', 'batch', 'none'].includes(opts.durability)) {
    problems.push(`durability must be 'always', 'batch' or 'none', not ${String(opts.durability)}`);
  }
  if (!(opts.batchIntervalMs >= 0)) problems.push('batchIntervalMs must be a number >= 0');
  if (!(opts.journalMaxBytes > 0)) problems.push('journalMaxBytes must be a number > 0');
  if (!Number.isSafeInteger(nextSeq) || nextSeq < 1)
    problems.push('nextSeq must be an integer >= 1');
  if (problems.length > 0) throw new PrevalenceError('INVALID_OPTION', problems.join('; '));
}

/**
 * Appends action records to the journal files of one data directory and
 * makes them durable according to {@link Durability}, sharing one
 * `fdatasync` among all records written before it started (group commit).
 * After a write or sync failure it refuses every further append.
 */
export class JournalWriter {
  /** Counters for tests and benchmarks: records appended, fdatasync calls on journal files. */
  readonly stats = { appends: 0, fsyncs: 0 };
  readonly #fs: FileSystem;
  readonly #opts: JournalWriterOptions;
  readonly #flusher: Flusher;
  readonly #encoder = new RecordEncoder();
  #fd: number;
  #path: string;
  #size: number;
  #lastSeq: number;
  #failure: PrevalenceError | undefined;
  /**
   * The copy of the current file that the last put-back left under its name
   * (see #keepFileInPlace), and the size of the file then; undefined once
   * another file is current.
   */
  #placed: { identity: string | undefined; size: number } | undefined;
  /** Why the writer was stopped (see stop), when that, and no disk error, stopped it. */
  #stopReason: string | undefined;
  #closed: Promise<void> | undefined;

  private constructor(opts: JournalWriterOptions, fd: number, path: string, lastSeq: number) {
    this.#fs = opts.fs;
    this.#opts = opts;
    this.#fd = fd;
    this.#path = path;
    this.#size = opts.fs.fstatSize(fd);
    this.#lastSeq = lastSeq;
    this.#flusher = new Flusher(
      opts.fs,
      opts.durability === 'none' ? undefined : opts.batchIntervalMs,
      lastSeq,
      this.stats,
      () => ({ fd: this.#fd, path: this.#path, lastSeq: this.#lastSeq }),
      (cause, file) => {
        const err = this.#fail(
          cause,
          `the background fdatasync of journal file ${file}`,
          `actions after seq ${this.#flusher.durableSeq} may not be on disk, and the system refuses further actions`,
          true,
        );
        opts.warn?.(err.message);
        return err;
      },
    );
  }

  /** A writer over `fd`; `fd` is closed when making it fails (its fstat), so a refused open keeps no descriptor. */
  static #over(
    opts: JournalWriterOptions,
    fd: number,
    path: string,
    lastSeq: number,
  ): JournalWriter {
    try {
      return new JournalWriter(opts, fd, path, lastSeq);
    } catch (err) {
      try {
        opts.fs.closeSync(fd);
      } catch {
        // the failure that stopped the open is what the caller needs
      }
      throw err;
    }
  }

  /**
   * Opens the journal of `opts.dir` for appending records from `nextSeq` on:
   * continues the newest file when it ends exactly at `nextSeq - 1` (run
   * `replayJournal` first: it repairs a torn tail), otherwise creates
   * `journal-<nextSeq>.jsonl` and fsyncs the directory.
   */
  static open(opts: JournalWriterOptions, nextSeq: number): JournalWriter {
    checkOptions(opts, nextSeq);
    const { fs, dir } = opts;
    fs.mkdirSync(dir);
    const newest = listJournalFiles(fs, dir).at(-1);
    if (newest !== undefined) {
      const { lastSeq: last, end } = journalEnd(fs, newest);
      if (last === nextSeq - 1) {
        let fd: number;
        try {
          // Readable too: its records are read back through the fd if
          // another file takes its name (see #keepFileInPlace).
          fd = fs.openSync(newest.path, 'a+');
        } catch (err) {
          throw new PrevalenceError(
            'JOURNAL_WRITE_FAILED',
            `could not open journal file ${newest.path} to append to it (${describe(err)}); ${isPermissionError(err) ? "give this process write permission on the data directory's files" : `fix ${problemOf(err)}`} and open again`,
            { cause: err },
          );
        }
        try {
          // Zero bytes after the last record (a file extended but never
          // written, e.g. by a crash): cut them, or appends would follow them.
          if (fs.fstatSize(fd) > end) fs.ftruncateSync(fd, end);
          // The records replayed from it may still sit only in the page
          // cache, written by a process that crashed: sync() and close()
          // count what is durable from here, so make them durable first.
          fs.fdatasyncSync(fd);
        } catch (err) {
          try {
            fs.closeSync(fd);
          } catch {
            // the failure that stopped the open is what the caller needs
          }
          throw new PrevalenceError(
            'JOURNAL_WRITE_FAILED',
            `could not make the records of ${newest.path} durable, or cut the zero bytes after its last record (${describe(err)}); fix ${problemOf(err)} and open again`,
            { cause: err },
          );
        }
        return JournalWriter.#over(opts, fd, newest.path, last);
      }
      if (last >= nextSeq) {
        throw new PrevalenceError(
          'INVALID_OPTION',
          `the journal already holds records up to seq ${last} (${newest.path}), so it cannot continue at seq ${nextSeq}; replay the journal and open the writer at its lastSeq + 1`,
        );
      }
    }
    try {
      const { fd, path } = createJournalFile(fs, dir, nextSeq);
      return JournalWriter.#over(opts, fd, path, nextSeq - 1);
    } catch (err) {
      throw new PrevalenceError(
        'JOURNAL_WRITE_FAILED',
        `could not create journal file ${journalFileName(nextSeq)} in ${dir} (${describe(err)}); fix ${problemOf(err)} and open again`,
        { cause: err },
      );
    }
  }

  /** The error that stopped this writer, if any. */
  get failure(): PrevalenceError | undefined {
    return this.#failure;
  }

  /** The fd of the file records are appended to now. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * The seq of the last record in the journal. After a failed append it is
   * that record's seq only when the record could not be cut off again (its
   * fdatasync failed, then the truncation too): it stays, and will replay.
   */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Appends the record of action `seq` (which must be the last seq + 1) with
   * one write. In `'always'` mode it is durable when this returns, unless
   * `unlocked` (then the background flusher makes it durable soon).
   */
  append(
    seq: number,
    ts: number,
    method: string,
    argsJson: string,
    threw: boolean,
    unlocked = false,
    /** 1 when the replay must run the store-time check (see RECORD_VERSION). */
    version: RecordVersion = RECORD_VERSION,
  ): void {
    this.#checkUsable();
    if (seq !== this.#lastSeq + 1 || !Number.isSafeInteger(ts) || argsJson.charCodeAt(0) !== 0x5b) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        `journal append needs seq ${this.#lastSeq + 1}, an integer ts and a JSON array of arguments; got seq ${seq}, ts ${ts}`,
      );
    }
    const line = this.#encoder.encode(seq, ts, method, argsJson, threw, version);
    if (this.#size > 0 && this.#size + line.length > this.#opts.journalMaxBytes) {
      this.#rotate('the action was not recorded', true);
    }
    const before = this.#size;
    // 'batch' (and @unlocked): at once too when an earlier record waited past the interval.
    const syncNow = (this.#opts.durability === 'always' && !unlocked) || this.#flusher.overdue();
    let written = false;
    try {
      writeFully(this.#fs, this.#fd, line);
      written = true;
      if (syncNow) this.#fs.fdatasyncSync(this.#fd);
    } catch (err) {
      const what = written
        ? `the fdatasync of action seq ${seq} in ${this.#path}`
        : `writing action seq ${seq} to ${this.#path}`;
      // A torn record is dropped by the reader on reopen; a whole one is not.
      const cutError = this.#cutBack(before);
      const kept = written && cutError !== undefined;
      // Acknowledged records before this one that the failed fdatasync was to cover.
      const durable = this.#flusher.durableSeq;
      const unsure =
        written && this.#lastSeq > durable
          ? `; actions after seq ${durable}, acknowledged as written, may not be on disk`
          : '';
      const error = this.#fail(
        err,
        what,
        kept
          ? `cutting its record off failed too (${describe(cutError)}): the record stays in the journal, so the action stays applied in memory too (a reopen replays it); whether it reached the disk is unknown${unsure}`
          : `the action was not recorded${unsure}`,
        written,
      );
      if (kept) {
        this.#size = before + line.length;
        this.#lastSeq = seq;
      }
      throw error;
    }
    this.#size = before + line.length;
    this.#lastSeq = seq;
    this.stats.appends++;
    if (syncNow) {
      this.stats.fsyncs++;
      this.#flusher.markDurable(seq);
    } else {
      this.#flusher.schedule();
    }
  }

  /**
   * Closes the current file (durable first, unless `'none'`) and starts a new
   * one at the next seq, so files before it can be pruned after a snapshot.
   * Does nothing while the current file is still empty.
   */
  rotate(): void {
    this.#checkUsable();
    this.#rotate(`records up to seq ${this.#lastSeq} may not be durable`, false);
  }

  /**
   * Stops the writer for a reason a reopen does not fix (the data directory
   * was moved away under the system): every later append is refused,
   * saying `reason`. The records appended so far are made durable
   * first, in the file they are in.
   */
  stop(reason: string, cause?: unknown): void {
    const err = new PrevalenceError(
      'JOURNAL_WRITE_FAILED',
      reason,
      cause === undefined ? undefined : { cause },
    );
    if (this.#failure === undefined) {
      this.#failure = err;
      this.#stopReason = reason;
    }
    if (!this.#syncAcknowledged()) this.#flusher.fail(err);
  }

  /**
   * Makes every record appended so far durable now (an fdatasync when any is
   * not yet). Called before a snapshot is written: a snapshot must not reach
   * the disk before the records it holds, or a restore falling back past it
   * (damaged) would find them missing.
   */
  syncNow(): void {
    this.#checkUsable();
    // One that returned while a background fdatasync is in flight needs no other.
    if (this.#lastSeq <= this.#flusher.syncedSeq) return;
    const durable = this.#flusher.durableSeq;
    try {
      this.#fs.fdatasyncSync(this.#fd);
      this.stats.fsyncs++;
      this.#flusher.markDurable(this.#lastSeq);
    } catch (err) {
      throw this.#fail(
        err,
        `the fdatasync of ${this.#path} before a snapshot`,
        `actions after seq ${durable} may not be on disk`,
        true,
      );
    }
  }

  /**
   * Notes that a snapshot holding every action up to `seq` is durable in the
   * directory (written, fsynced and renamed into place): those actions are
   * durable whatever became of their records, so `sync()` and `close()`
   * resolve for them also after a failed fdatasync (DURABILITY.md).
   */
  coveredBySnapshot(seq: number): void {
    this.#flusher.coveredBySnapshot(seq);
  }

  /** Resolves once every record appended so far is durable; rejects with the writer's failure. */
  sync(): Promise<void> {
    return this.#flusher.waitFor(this.#lastSeq);
  }

  /**
   * Makes everything durable (in every mode) and closes the files; later
   * appends throw `CLOSED`. Rejects if that last sync fails.
   */
  close(): Promise<void> {
    this.#closed ??= this.#finish();
    return this.#closed;
  }

  async #finish(): Promise<void> {
    await this.#flusher.stop();
    let error: PrevalenceError | undefined;
    const durable = this.#flusher.durableSeq;
    const syncFailure = this.#flusher.failure;
    if (syncFailure !== undefined) {
      // Never retried (see DURABILITY.md, fsyncgate): say so instead of resolving.
      if (this.#lastSeq > durable) {
        error = new PrevalenceError(
          'JOURNAL_WRITE_FAILED',
          `closed without making actions after seq ${durable} durable: ${syncFailure.message}`,
          { cause: syncFailure },
        );
      }
    } else if (this.#lastSeq > durable) {
      // Also after a failed write: the records before it were acknowledged and must reach the disk.
      try {
        this.#fs.fdatasyncSync(this.#fd);
        this.stats.fsyncs++;
        this.#flusher.markDurable(this.#lastSeq);
      } catch (err) {
        error = this.#fail(
          err,
          `the final fdatasync of ${this.#path}`,
          'some actions may not be on disk',
          true,
        );
      }
    }
    // Nothing is written at the path of a directory that is no longer ours.
    if (this.#opts.dirMoved?.() === undefined) {
      try {
        this.#keepFileInPlace();
      } catch (err) {
        // Left open: until the process ends, its records can be copied from there.
        throw this.#unplaced(err, 'close');
      }
    }
    this.#flusher.retire(this.#fd);
    if (error !== undefined) throw error;
  }

  #checkUsable(): void {
    if (this.#closed !== undefined) {
      throw new PrevalenceError(
        'CLOSED',
        'the journal is closed, so the action was not recorded; open the system again to continue',
      );
    }
    const refusal = this.refusal();
    if (refusal !== undefined) throw refusal;
  }

  /**
   * The error that refuses an action after the writer failed (a new one each
   * time: the failure's own message is about the action that met it), or
   * undefined while it works.
   */
  refusal(): PrevalenceError | undefined {
    if (this.#failure === undefined) return undefined;
    if (this.#stopReason !== undefined) {
      return new PrevalenceError(
        'JOURNAL_WRITE_FAILED',
        `the system takes no more actions, so the action was not recorded: ${this.#stopReason}`,
        { cause: this.#failure },
      );
    }
    return new PrevalenceError(
      'JOURNAL_WRITE_FAILED',
      `an earlier journal write failed (${describe(this.#failure.cause)}), so the journal refuses further actions; the action was not recorded. ${retryHint(this.#failure.cause)}`,
      { cause: this.#failure },
    );
  }

  /**
   * Closes the current file and starts the next: its tail made durable
   * first, the directory checked, its records put back under its name if
   * another file took it. `forAction`: an append asked for it, and its
   * action is not recorded if this fails (`consequence` says what else).
   */
  #rotate(consequence: string, forAction: boolean): void {
    if (this.#size === 0) return;
    const oldFd = this.#fd;
    const what = `starting a new journal file after seq ${this.#lastSeq}`;
    try {
      // In every mode, 'none' included: the new file is made durable by the
      // directory fsync below, so the old file's tail must be durable first,
      // or a power cut could leave a gap in the sequence (unopenable).
      this.#fs.fdatasyncSync(oldFd);
      this.stats.fsyncs++;
      this.#flusher.markDurable(this.#lastSeq);
    } catch (err) {
      throw this.#fail(err, what, consequence, true);
    }
    const moved = this.#opts.dirMoved?.();
    if (moved !== undefined) {
      this.stop(moved);
      const refused = forAction ? ', so the action was not recorded,' : '';
      throw new PrevalenceError(
        'JOURNAL_WRITE_FAILED',
        `no new journal file was started after seq ${this.#lastSeq}${refused} and the system takes no more actions: ${moved}`,
      );
    }
    try {
      this.#keepFileInPlace();
    } catch (err) {
      throw this.#unplaced(err, forAction ? 'action' : 'rotation');
    }
    try {
      const created = createJournalFile(this.#fs, this.#opts.dir, this.#lastSeq + 1);
      this.#fd = created.fd;
      this.#path = created.path;
      this.#size = 0;
      this.#placed = undefined;
    } catch (err) {
      throw this.#fail(err, what, consequence);
    }
    this.#flusher.retire(oldFd);
  }

  /**
   * Asked between actions (a timer of the system): when another file took
   * the name of the current file, rotates now (see #keepFileInPlace), so a
   * crash before the next rotation or close no longer loses the records the
   * name lacks. Does nothing when the writer is closed or stopped; a failed
   * put-back stops it (the next action says why) and throws.
   */
  keepNameNow(): void {
    if (this.#closed !== undefined || this.refusal() !== undefined || this.#size === 0) return;
    if (!nameLeftFile(this.#fs, this.#fd, this.#path)) return;
    this.rotate();
  }

  /**
   * When another file took the name of the current file (an editor's save
   * writes a new file over it; a log-rotation tool moves it away), puts its
   * records back under that name (see putBack), with a warning: the system
   * appends to the file it opened, and the next open reads the name. Asked
   * at rotations (snapshots rotate too) and at close, not per record.
   */
  #keepFileInPlace(): void {
    if (!nameLeftFile(this.#fs, this.#fd, this.#path)) return;
    // Put back already, nothing appended since (a rotation that failed after it), and not
    // written over since (review): the name holds the records.
    const placed = this.#placed;
    if (
      placed !== undefined &&
      placed.size === this.#size &&
      placed.identity === identityOf(this.#fs, this.#path) &&
      holdsSameBytes(this.#fs, this.#fd, this.#size, this.#path)
    ) {
      return;
    }
    const { aside } = putBack(this.#fs, this.#fd, this.#size, this.#path);
    this.#placed = { identity: identityOf(this.#fs, this.#path), size: this.#size };
    const found =
      aside === undefined
        ? 'no file had that name'
        : `the file found under that name is kept as ${aside}`;
    this.#opts.warn?.(
      `journal file ${this.#path} was replaced while this system had it open (an editor's save, sed -i, or a tool that moves or rotates log files): the system appends to the file it opened, so its records up to seq ${this.#lastSeq} were no longer under that name, and the next open would have lost them. They were put back under ${this.#path} (${found}). Never edit, move or rotate journal files while the system is open (docs/DURABILITY.md)`,
    );
  }

  /**
   * The failure when the records of the current file could not be put back
   * under its name, at the rotation of an `action`'s append, another
   * `rotation` or `close`: the system stops, and the message says where
   * they are and what to do.
   */
  #unplaced(cause: unknown, when: 'action' | 'rotation' | 'close'): PrevalenceError {
    const pid = process.pid;
    const advice =
      when === 'close'
        ? ' (the close leaves it open for that)'
        : ', or fix the cause and close the system, which tries again; the state in memory holds every acknowledged action, and takeSnapshot({ into: <a new directory> }) saves it';
    const reason = `another file took the name of journal file ${this.#path} while the system had it open, and putting its records back under that name failed (${describe(cause)}). Its records up to seq ${this.#lastSeq} are in the file this system opened, still open as fd ${this.#fd} of process ${pid} (on Linux /proc/${pid}/fd/${this.#fd}) but no longer under that name, and an open would miss them: copy that file over ${this.#path} before the process ends${advice}`;
    this.stop(reason, cause);
    return new PrevalenceError(
      'JOURNAL_WRITE_FAILED',
      when === 'action' ? `the action was not recorded: ${reason}` : reason,
      { cause },
    );
  }

  /** Cuts the current file back to `size` (a failed record off); the error when that fails. */
  #cutBack(size: number): unknown {
    try {
      this.#fs.ftruncateSync(this.#fd, size);
      this.#size = size;
      return undefined;
    } catch (err) {
      return err;
    }
  }

  /**
   * Enters the failed state and returns the error to throw; further appends
   * are refused. After a failed fdatasync (`syncFailed`) the durability of
   * unsynced records is unknown and is never retried: every waiter is rejected. After a failed
   * write the records before it are intact: they are made durable at once
   * (and sync() resolves for them); if that fdatasync fails too, it is a
   * failed fdatasync.
   */
  #fail(
    cause: unknown,
    what: string,
    consequence = 'the action was not recorded',
    syncFailed = false,
  ): PrevalenceError {
    const err = new PrevalenceError(
      'JOURNAL_WRITE_FAILED',
      `${what} failed (${describe(cause)}); ${consequence}. ${retryHint(cause)}`,
      { cause },
    );
    this.#failure ??= err;
    if (syncFailed || !this.#syncAcknowledged()) this.#flusher.fail(err);
    return err;
  }

  /**
   * Makes the records appended so far durable now, when any is not yet
   * (they were acknowledged, and the writer is failing: a flush may never
   * come). False when that fdatasync failed.
   */
  #syncAcknowledged(): boolean {
    if (this.#lastSeq <= this.#flusher.syncedSeq) return true;
    try {
      this.#fs.fdatasyncSync(this.#fd);
      this.stats.fsyncs++;
      this.#flusher.markDurable(this.#lastSeq);
      return true;
    } catch {
      return false;
    }
  }
}
