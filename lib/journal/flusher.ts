import type { PrevalenceError } from '../errors';
import type { FileSystem } from '../fs/seam';

/** What the flusher needs to know about the writer at the moment a flush starts. */
export interface FlushTarget {
  /** The fd of the file records are appended to now. */
  fd: number;
  path: string;
  /** The seq of the last record written (not necessarily durable). */
  lastSeq: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: PrevalenceError) => void;
}

/**
 * Group commit for a {@link JournalWriter}: tracks which seq is durable,
 * runs at most one asynchronous `fdatasync` at a time (covering every record
 * written before it started), chains one more when records arrived during
 * it, and resolves or rejects the promises of `sync()` callers.
 */
export class Flusher {
  /**
   * Every record up to this seq is on disk: sync() resolves for it. A
   * synchronous fdatasync that returned while a background one was in flight
   * does not raise it before that one has succeeded (see #unconfirmed).
   */
  durableSeq: number;
  /**
   * The last seq a synchronous fdatasync covered while a background one was
   * in flight: not counted durable until that one succeeds, since it may
   * have returned success only because the background one took the error
   * (fsyncgate); forgotten when it fails. 0 while nothing is in flight.
   */
  #unconfirmed = 0;
  #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #failure: PrevalenceError | undefined;
  #stopped = false;
  /** Old fds whose close waits for the in-flight fdatasync (never close an fd under it). */
  #retired: number[] = [];
  /** When the oldest record no flush covers yet was written (performance.now()), if any. */
  #pendingSince: number | undefined;
  /** Every record up to this seq is in a durable snapshot (see coveredBySnapshot). */
  #snapshotSeq = 0;

  constructor(
    private readonly fs: FileSystem,
    /** Background flushes within this many ms of a write; undefined: only when asked ('none' mode). */
    private readonly intervalMs: number | undefined,
    durableSeq: number,
    private readonly stats: { fsyncs: number },
    private readonly target: () => FlushTarget,
    /** Called when a background fdatasync fails; returns the error to reject waiters with. */
    private readonly onFailure: (cause: unknown, path: string) => PrevalenceError,
  ) {
    this.durableSeq = durableSeq;
  }

  /** The failed fdatasync that stopped this flusher, if any. */
  get failure(): PrevalenceError | undefined {
    return this.#failure;
  }

  /**
   * The last seq a successful fdatasync covered, counting one that returned
   * while a background one was in flight (unconfirmed until that one
   * succeeds): records up to it need no further fdatasync now.
   */
  get syncedSeq(): number {
    return Math.max(this.durableSeq, this.#unconfirmed);
  }

  /** Records up to `seq` are held by a durable snapshot, whatever becomes of their fdatasyncs. */
  coveredBySnapshot(seq: number): void {
    this.#snapshotSeq = Math.max(this.#snapshotSeq, seq);
    this.#synced(seq);
    this.#confirm(seq);
  }

  /**
   * Records up to `seq` were made durable by the caller (a synchronous
   * fdatasync). While a background fdatasync is in flight this counts only
   * once that one has succeeded: sync() waiters for them wait for it, and
   * are rejected if it fails (DURABILITY.md).
   */
  markDurable(seq: number): void {
    this.#synced(seq);
    if (this.#inFlight !== undefined) {
      this.#unconfirmed = Math.max(this.#unconfirmed, seq);
      return;
    }
    this.#confirm(seq);
  }

  /** No flush is needed any more for the records up to `seq` (an fdatasync covered them). */
  #synced(seq: number): void {
    // Asked only while a record waits: 'always' appends come here each time.
    if (this.#pendingSince !== undefined && seq >= this.target().lastSeq) {
      this.#pendingSince = undefined;
    }
  }

  /** Records up to `seq` are known durable: settles the waiters for them. */
  #confirm(seq: number): void {
    this.durableSeq = Math.max(this.durableSeq, seq);
    if (this.#waiters.length > 0) this.#settle();
  }

  /**
   * Whether the record about to be written should be made durable by the
   * writer at once (a synchronous fdatasync, covering every record before
   * it): one written earlier has waited for a flush longer than the batch
   * interval. The background flush runs on a timer, which cannot fire while
   * the thread runs synchronous code, and one in flight cannot report: in a
   * long burst of actions this keeps the interval's bound. (Starting the
   * fdatasync in the thread pool instead was tried: a burst was no faster,
   * since the disk's work is what costs, each one in flight could not
   * report either, and a slow disk queued one per interval there.)
   */
  overdue(): boolean {
    const since = this.#pendingSince;
    if (since === undefined || this.intervalMs === undefined || this.#stopped) return false;
    return performance.now() - since >= this.intervalMs;
  }

  /** Makes sure a flush runs within the batch interval (called after each record written without an fdatasync). */
  schedule(): void {
    if (this.intervalMs === undefined || this.#stopped) return;
    this.#pendingSince ??= performance.now();
    if (this.#timer !== undefined || this.#inFlight !== undefined) return;
    // When the oldest waiting record is batchIntervalMs old, not a whole
    // interval from now: after a flush in flight it may have waited already.
    const waited = performance.now() - this.#pendingSince;
    // Not unref'd: a process that ends without close() waits for it (at most
    // the interval), so its last records get the fdatasync the mode promises.
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.flush();
      },
      Math.max(0, this.intervalMs - waited),
    );
  }

  /** A promise that resolves once every record up to `seq` is durable. */
  waitFor(seq: number): Promise<void> {
    if (seq <= this.durableSeq) return Promise.resolve();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ seq, resolve, reject });
      this.flush();
    });
  }

  /** Closes `fd` now, or once the in-flight fdatasync (which may be on it) is done. */
  retire(fd: number): void {
    this.#retired.push(fd);
    this.#closeRetired();
  }

  /** Enters the failed state: rejects every waiter, now and later, with `err`. */
  fail(err: PrevalenceError): void {
    this.#failure ??= err;
    this.#clearTimer();
    for (const w of this.#waiters.splice(0)) w.reject(this.#failure);
  }

  /** Stops the timer and waits for an in-flight fdatasync; no new flush starts by itself afterwards. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    await this.#inFlight;
  }

  /** Starts one background fdatasync covering every record written so far (unless one is in flight: it chains). */
  flush(): void {
    if (this.#inFlight !== undefined || this.#failure !== undefined) return;
    this.#clearTimer();
    const { fd, path, lastSeq } = this.target();
    if (lastSeq <= this.durableSeq) return this.#settle();
    // Every record written so far is covered by this flush.
    this.#pendingSince = undefined;
    const floor = this.durableSeq;
    this.#inFlight = this.#syncFile(fd).then(
      () => this.#flushed(lastSeq),
      (err: unknown) => {
        this.#inFlight = undefined;
        // What synchronous fdatasyncs covered meanwhile does not count (see #failed).
        this.#unconfirmed = 0;
        this.#closeRetired();
        this.#failed(err, path, floor);
      },
    );
  }

  /**
   * A background fdatasync failed. What was durable when it started (`floor`)
   * is all that is known durable: an fdatasync of the same file that returned
   * while it was in flight (a rotation, an 'always' action, an overdue
   * record's, before this one's report could run) may have returned success
   * only because this one took the error, for pages the kernel dropped
   * (fsyncgate). Those records are unknown, as DURABILITY.md says; what a
   * durable snapshot holds is not (coveredBySnapshot). Such a success never
   * raised durableSeq (markDurable kept it unconfirmed), so no sync() waiter
   * was told those records were durable: fail() rejects them.
   */
  #failed(err: unknown, path: string, floor: number): void {
    if (this.#failure === undefined) {
      this.durableSeq = Math.min(this.durableSeq, Math.max(floor, this.#snapshotSeq));
    }
    this.fail(this.onFailure(err, path));
  }

  async #syncFile(fd: number): Promise<void> {
    await this.fs.fdatasync(fd);
    this.stats.fsyncs++;
  }

  #flushed(covered: number): void {
    this.#inFlight = undefined;
    // Synchronous fdatasyncs that returned meanwhile count now.
    const unconfirmed = this.#unconfirmed;
    this.#unconfirmed = 0;
    this.#closeRetired();
    if (this.#failure !== undefined) return;
    this.durableSeq = Math.max(this.durableSeq, covered, unconfirmed);
    this.#settle();
    if (this.target().lastSeq <= this.durableSeq || this.#stopped) return;
    // Records written during that fdatasync need one more: at once when
    // someone waits, or when the oldest of them has waited the batch
    // interval already (a timer would add another interval); otherwise
    // when it has.
    if (this.#waiters.length > 0 || this.overdue()) this.flush();
    else this.schedule();
  }

  #settle(): void {
    const durable = this.durableSeq;
    const pending: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.seq <= durable) w.resolve();
      else pending.push(w);
    }
    this.#waiters = pending;
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Closes the retired fds once no fdatasync is in flight. */
  #closeRetired(): void {
    if (this.#inFlight !== undefined) return;
    for (const fd of this.#retired.splice(0)) {
      try {
        this.fs.closeSync(fd);
      } catch {
        // Its records were synced (or durability is 'none'); a failing close changes nothing on disk.
      }
    }
  }
}
