import * as os from 'node:os';
// The module object itself (esModuleInterop's default), not a copy of its members.
import osModule from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { PrevalenceError } from '../errors';
import {
  LOCK_NAME,
  type LockRecord,
  createFile,
  identityOf,
  incarnationOf,
  isAlive,
  listLockFiles,
  newRecord,
  parseRecord,
  readBytes,
  readRecord,
  removeDeadTemps,
  removeIfOurs,
  removeIfThere,
  replaceFile,
  takeoverName,
} from './lock-records';

/**
 * The locks a worker thread holds: when the thread exits (its process lives
 * on, and the record of one of its threads holds while it does), each one's
 * system is closed for good first (its `onThreadExit`: no action may run
 * after that, not even from a later 'exit' listener), then the lock is
 * released. The main thread's die with the process.
 */
const openOnThisThread = new Set<DirectoryLock>();
let exitHooked = false;

function releaseOnThreadExit(lock: DirectoryLock): void {
  if (threadId === 0) return;
  openOnThisThread.add(lock);
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const held of [...openOnThisThread]) {
      try {
        held.onThreadExit?.();
      } finally {
        held.release();
      }
    }
  });
}

/** What this thread holds open, known to every copy of prevalent loaded in it. */
interface HeldHere {
  /** Identities ("dev:ino") of the directories, so a second open here fails at once. */
  dirs: Set<string>;
  /** The tokens of their lock records: a record of this thread with another token is a leftover. */
  tokens: Set<string>;
}

// Kept on the `node:os` module object (the one `require` returns, not an
// import's copy), under a registered symbol: a second installed copy of
// prevalent, or the module registry jest gives each test file, loads this
// module again, and a registry of its own let that copy take over a lock
// this thread held, so two writers shared one journal. Core modules are
// one per thread (jest hands test files the real ones); worker threads have
// their own, as their records name the thread. The shape stays the same in
// every version of prevalent that uses this symbol.
const HELD_KEY = Symbol.for('prevalent.directoryLocks.heldHere.v1');
const heldHere: HeldHere = ((osModule as unknown as Record<symbol, HeldHere | undefined>)[
  HELD_KEY
] ??= { dirs: new Set(), tokens: new Set() });
/** Tries before giving up on a directory that changes hands all the time. */
const ATTEMPTS = 10;
/** Arbitration levels a takeover may climb; each one above the first was left by a takeover that crashed. */
const MAX_DEPTH = 16;

/**
 * Whether `record` keeps others out of the directory with identity `here`: it
 * says held, was written in this directory (a copied directory's record holds
 * nothing), and its writer may live: another host's is never presumed dead;
 * on this host its pid must exist, and where /proc tells, still name the
 * process that wrote it. A record of another worker thread of this process
 * holds (a worker releases its locks when it exits; one ended by
 * terminate() cannot); one of this thread holds while this thread holds
 * its token (in any copy of prevalent), and is otherwise a leftover of a
 * release or takeover that failed here.
 */
function holds(record: LockRecord | undefined, here: string): record is LockRecord {
  if (record === undefined || record.state !== 'held') return false;
  if (record.dir !== undefined && record.dir !== here) return false;
  if (record.hostname !== os.hostname()) return true;
  if (record.started !== undefined) {
    // The pid now names another process (a restart given the same pid, a recycled one): a leftover.
    const now = incarnationOf(record.pid);
    if (now !== undefined && now !== record.started) return false;
  }
  if (record.pid === process.pid) {
    return (record.thread ?? 0) !== threadId || heldHere.tokens.has(record.token);
  }
  return isAlive(record.pid);
}

function lockedError(dir: string, holder: LockRecord | undefined): PrevalenceError {
  if (
    holder?.pid === process.pid &&
    holder.hostname === os.hostname() &&
    (holder.thread ?? 0) !== threadId
  ) {
    return new PrevalenceError(
      'LOCKED',
      holder.thread === 0 || holder.thread === undefined
        ? `the data directory ${dir} is already open in the main thread of this process (since ${holder.since}); close it there first, or keep using that system`
        : `the data directory ${dir} is already open in worker thread ${holder.thread} of this process (since ${holder.since}); close it there first, or keep using that system. If that worker was stopped with worker.terminate(), which runs no exit handlers, it keeps the directory until this process ends: close systems in a worker before terminating it, or let it end by itself`,
    );
  }
  if (holder?.pid === process.pid && holder.hostname === os.hostname()) {
    return new PrevalenceError(
      'LOCKED',
      `the data directory ${dir} is already open in this process (since ${holder.since}); await the close() of the system that has it before opening it again, or keep using that system`,
    );
  }
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} since ${holder.since}`
    : 'another system';
  // A holder on another host is never presumed dead (DURABILITY.md): only a person can tell.
  const elsewhere =
    holder !== undefined && holder.hostname !== os.hostname()
      ? `; if ${holder.hostname} no longer runs it (or it is this machine under a former name), delete ${LOCK_NAME} in the directory by hand once sure that no process uses it`
      : '';
  return new PrevalenceError(
    'LOCKED',
    `the data directory ${dir} is already open by ${who}; close that system first (or use another basedir)${elsewhere}`,
  );
}

function stuckError(dir: string, top: string): PrevalenceError {
  return new PrevalenceError(
    'LOCKED',
    `the lock of the data directory ${dir} was left by ${MAX_DEPTH} takeovers that crashed one after the other (up to ${top}); ` +
      `once sure that no process uses the directory, delete ${LOCK_NAME} and every ${LOCK_NAME}.takeover-* file in it`,
  );
}

/** One acquire: the directory, and the record we put in lock files. */
interface Claim {
  dir: string;
  here: string;
  text: string;
  token: string;
  /** The live writer of an arbitration file we found, for the LOCKED message. */
  busy?: LockRecord;
}

/** One try: true if `LOCK` now holds our record; false: start over. Throws LOCKED for a live holder. */
function tryOnce(c: Claim): boolean {
  const made = createFile(c.dir, LOCK_NAME, c.text);
  if (made !== 'exists') return made === 'created';
  const seen = readBytes(c.dir, LOCK_NAME);
  if (seen === undefined) return false;
  const holder = parseRecord(seen);
  if (holds(holder, c.here)) throw lockedError(c.dir, holder);
  return replace(c, LOCK_NAME, seen, 0);
}

/**
 * Replaces the stale content `seen` of lock file `name` with our record, as
 * the owner of its arbitration file; false if someone else did or is doing
 * it. The arbitration file is deleted either way.
 */
function replace(c: Claim, name: string, seen: Buffer, depth: number): boolean {
  const arbitration = takeoverName(name, seen);
  if (!own(c, arbitration, depth)) return false;
  try {
    if (!readBytes(c.dir, name)?.equals(seen)) return false;
    replaceFile(c.dir, name, c.text);
    return true;
  } finally {
    try {
      removeIfOurs(c.dir, arbitration, c.token);
    } catch {
      // left behind, it holds nothing once we hold LOCK or are gone; the next winner sweeps it
    }
  }
}

/**
 * Puts our record into arbitration file `name`: creates it, or replaces the
 * record of a writer that died in the middle of its takeover (one level up).
 * False if a live process has it.
 */
function own(c: Claim, name: string, depth: number): boolean {
  const made = createFile(c.dir, name, c.text);
  if (made !== 'exists') return made === 'created';
  const found = readBytes(c.dir, name);
  if (found === undefined) return false;
  const writer = parseRecord(found);
  if (holds(writer, c.here)) {
    c.busy = writer;
    return false;
  }
  if (depth + 1 >= MAX_DEPTH) throw stuckError(c.dir, name);
  return replace(c, name, found, depth + 1);
}

/** A live holder of the current record of the generation design (an earlier version) keeps us out. */
function refuseGenerationHolder(dir: string, here: string): void {
  const top = listLockFiles(dir).generations.at(-1);
  const record = top === undefined ? undefined : readRecord(dir, top);
  if (holds(record, here)) throw lockedError(dir, record);
}

/**
 * Deletes what earlier opens left: every arbitration file, every record of
 * the generation design, and the temporary files of dead writers. Only the
 * holder of `LOCK` may call it (see the protocol).
 */
function sweep(dir: string): void {
  const found = listLockFiles(dir);
  for (const name of [...found.takeovers, ...found.generations]) {
    removeIfThere(path.join(dir, name));
  }
  removeDeadTemps(dir, found.temps);
}

/**
 * An exclusive hold on a data directory: the file `LOCK` holds the record of
 * the process that has the directory open, and is deleted when it closes. A
 * lock left by a process that died (even by `kill -9`) is taken over; a live
 * holder, in this process or another, gives `LOCKED`.
 *
 * Protocol. A lock file is never written in place: its record (JSON, with a
 * fresh random token, so a content that left a name never shows there again)
 * is written to a temporary file `LOCK.<pid>.<random>.tmp`, then given its
 * name by link(), which fails if the name exists, or put over it by rename().
 * - acquire: link our record to `LOCK`. Done; or it exists: read its bytes Y.
 *   A record that holds (see holds) gives LOCKED; otherwise replace Y.
 * - replace content X of file N (`LOCK`, or an arbitration file): own
 *   arb(N, X) = `LOCK.takeover-<16 hex of sha256(N, NUL, X)>` (everyone who
 *   read X in N competes for that name; flat, so names do not grow with the
 *   levels), then read N: still X → rename our record over
 *   N; else give up. Either way, delete arb(N, X) if it still holds our record.
 * - own an arbitration file: link our record to it; if it exists, read it, A:
 *   a live writer is taking over → give up; a dead one crashed there →
 *   replace A in it, one level up (at most MAX_DEPTH levels, then LOCKED).
 * Giving up starts over (at most ATTEMPTS times, then LOCKED). The winner
 * sweeps: deletes every arbitration file, the records of the generation
 * design and dead writers' temporary files. release deletes `LOCK` if it
 * still holds our token.
 *
 * Why at most one process holds the lock. Assumed: link() fails on an
 * existing name; rename() and unlink() are atomic; a writer judged dead (its
 * pid is gone from this host, or it wrote in another directory, or it is
 * this process, whose acquires do not overlap) never acts on the file again;
 * a content shows in a name during one interval at most (the token). No
 * timing. Call a rename over N late if N no longer shows the content the
 * renamer read before it.
 * 1. `LOCK` changes only by: link while absent; release by its holder; a
 *    rename by the owner of arb(LOCK, Y) right after reading Y in `LOCK`.
 * 2. Without a late rename, holders never overlap: while P holds, `LOCK`
 *    shows P's record (only P deletes it; replacing it needs someone to read
 *    it and judge it stale, but it holds), so link fails and a rename that
 *    is not late replaces a record read there: P's, which gives LOCKED.
 * 3. No rename over `LOCK` is late. Take the first that is, by Q, after
 *    reading the stale Y. `LOCK` shows Y during a window W that ends with
 *    Y's first change, at c: a rename (nobody releases a stale record, and
 *    `LOCK` exists), not late, by Z, who read Y while owning N1 = arb(LOCK,
 *    Y). Nothing is swept during W: before Q's rename, by 2, a sweeper's
 *    record shows in `LOCK` from its win until its sweep is over. The files
 *    N0 = `LOCK`, N(k+1) = arb(Nk, its content) are named from Y, so written
 *    only from W on. During W a record leaves N(k+1) only by its writer once
 *    done with it (after its rename over Nk, or giving up), or by a rename
 *    over N(k+1), which replaces a dead writer's record unless it is late.
 *    So if no rename over N1 in W is late, Z's and Q's records both stay in
 *    N1 until c (each from before its read of Y to after its rename):
 *    impossible. And none is, by induction from the top (MAX_DEPTH: nobody
 *    renames over that file): if no rename over N(k+2) in W is late, a late
 *    one over N(k+1), by Q' who read X, follows the first change of X, a
 *    rename (X's writer is dead, nothing is swept) by Z' who read X owning
 *    N(k+2); the records of Z' and Q' both stay in N(k+2) until that change:
 *    impossible.
 * So a late contender, or one that lost a crashed takeover's chain, always
 * finds its read content gone and starts over, and the sweep is harmless:
 * it only runs while `LOCK` shows a live record, whose chain nobody starts.
 * Within one thread, `heldHere` refuses a second open before any of this;
 * worker threads share the pid, so a record names its thread too, and
 * copies of this module loaded in one thread share `heldHere`.
 */
export class DirectoryLock {
  readonly #identity: string;
  readonly #token: string;
  /** Run on a worker thread's exit before the lock is released: the system must refuse every later call. */
  onThreadExit: (() => void) | undefined;

  private constructor(
    readonly dir: string,
    identity: string,
    token: string,
  ) {
    this.#identity = identity;
    this.#token = token;
  }

  /** The identity (`<dev>:<ino>`) of the directory the lock was taken in. */
  get identity(): string {
    return this.#identity;
  }

  static acquire(dir: string): DirectoryLock {
    const here = identityOf(dir);
    if (heldHere.dirs.has(here)) throw lockedError(dir, readRecord(dir, LOCK_NAME));
    refuseGenerationHolder(dir, here);
    const mine = newRecord(here);
    const claim: Claim = { dir, here, text: JSON.stringify(mine), token: mine.token };
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (!tryOnce(claim)) continue;
      try {
        sweep(dir);
      } catch {
        // leftovers hold nothing: the next winner sweeps them
      }
      heldHere.dirs.add(here);
      heldHere.tokens.add(mine.token);
      const lock = new DirectoryLock(dir, here, mine.token);
      releaseOnThreadExit(lock);
      return lock;
    }
    const holder = readRecord(dir, LOCK_NAME);
    throw lockedError(dir, holds(holder, here) ? holder : claim.busy);
  }

  /**
   * Gives the directory back: deletes `LOCK` if it still holds our record in
   * the directory we locked (a copy put in its place holds the same record),
   * found at `at`: its path, or where it was moved to while open. Never
   * throws: a failed release leaves our record, which stops holding once
   * this process ends.
   */
  release(at: string = this.dir): void {
    heldHere.dirs.delete(this.#identity);
    heldHere.tokens.delete(this.#token);
    openOnThisThread.delete(this);
    try {
      if (identityOf(at) === this.#identity) {
        removeIfOurs(at, LOCK_NAME, this.#token);
      }
    } catch {
      // the directory is gone or unwritable: nothing more to give back
    }
  }
}
