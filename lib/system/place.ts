import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { realFileIdentity } from '../fs/seam';

/**
 * Where an open system's data directory is: the path it works at (its
 * basedir, symlinks resolved at open) and the identity (`<dev>:<ino>`) of
 * the directory its lock was taken in. An operator who renames the
 * directory while the system runs (`mv live live.old`), or puts a restored
 * backup at its path, leaves the path leading elsewhere: the system's open
 * journal file goes with the directory it locked, but a file made by path
 * (a new journal file, a snapshot) would land in the directory now at the
 * path, which another system may hold, and pruning would delete its files.
 * Node has no calls relative to a directory's fd (openat), so the system
 * asks {@link moved} right before each of those: one stat, never per action.
 */
export class DataDirPlace {
  constructor(
    /** The path the system works at. */
    readonly dir: string,
    private readonly identity: string,
    /** An fd open in the directory (the journal file's), if any: tells where it is now. */
    private readonly fdInside: () => number | undefined,
  ) {}

  /**
   * Why nothing may be written or deleted at `dir` any more, for a system
   * still open: the path no longer leads to the directory it locked.
   * Undefined while it does, and when the stat fails for another reason
   * than a missing entry (the operation that follows meets that error).
   */
  moved(): string | undefined {
    if (this.#sameDirectory()) return undefined;
    if (this.#deleted()) {
      return `${this.#gone()}, and this system writes and deletes nothing at ${this.dir}. The state in memory still holds every acknowledged action: save it now with takeSnapshot({ into: <a new directory> }) and open that directory (close() lets go of the state)`;
    }
    const lock = ` (its LOCK, of process ${process.pid}, is there)`;
    return `${this.#away(this.#whereNow(), lock)}, and this system writes and deletes nothing at ${this.dir}. Close it, then move the directories back or open the one it wrote in; should that one be gone, first save the state this system holds with takeSnapshot({ into: <a new directory> })`;
  }

  /**
   * What to tell at close when the path no longer leads to the directory
   * locked at open. Where the directory's path now is known, the close
   * releases the lock there (see {@link locate}).
   */
  movedAtClose(): string | undefined {
    if (this.#sameDirectory()) return undefined;
    if (this.#deleted()) {
      return `closed, but ${this.#gone()}: only a backup taken before the close (takeSnapshot({ into })) holds them. Nothing was written at ${this.dir} since`;
    }
    const now = this.#whereNow();
    const lock =
      now === undefined
        ? ` (its LOCK, of process ${process.pid}, stays there, and keeps other processes out until this one ends)`
        : '';
    return `closed with every record durable in the directory it opened: ${this.#away(now, lock)}. Nothing was written at ${this.dir} since; move the directories back, or open the one this system wrote in`;
  }

  /** What an open tells when the directory was moved while it was being opened. */
  movedWhileOpening(): string | undefined {
    if (this.#sameDirectory()) return undefined;
    return `the data directory at ${this.dir} was moved or replaced while it was being opened, so nothing more was written at ${this.dir}; open it again`;
  }

  /**
   * A path that leads to the locked directory now: `dir` while it does,
   * else the directory's new path where the system can tell (see
   * #whereNow), else undefined.
   */
  locate(): string | undefined {
    return this.#sameDirectory() ? this.dir : this.#whereNow();
  }

  /** The fact and where the records are (`now`: the directory's path now, if known; `lock`: about its LOCK). */
  #away(now: string | undefined, lock: string): string {
    const where = now === undefined ? '' : `, now at ${now}`;
    return `the data directory at ${this.dir} is no longer the one this system opened (it was moved or replaced while the system had it open): the records this system wrote are in the directory it opened${where}${lock}`;
  }

  /** The directory locked at open was deleted (not only moved), as far as the records go. */
  #gone(): string {
    return `the data directory at ${this.dir} was deleted while this system had it open (the journal file it writes is in no directory any more): the records this system wrote are lost with it`;
  }

  /**
   * Whether the journal file open in the locked directory is in no
   * directory any more (no link left): that directory was deleted (and
   * maybe made again at the path), not moved, so its records went with it
   * (review: told as moved, "the records this system wrote are in the
   * directory it opened", and at close "every record durable" there).
   */
  #deleted(): boolean {
    const fd = this.fdInside();
    if (fd === undefined) return false;
    try {
      return nodeFs.fstatSync(fd).nlink === 0;
    } catch {
      return false;
    }
  }

  #sameDirectory(): boolean {
    // On the real disk, as the lock took its identity (not through the seam).
    try {
      return realFileIdentity(this.dir) === this.identity;
    } catch {
      // Not "moved": an error of the disk is the operation's to meet and report.
      return true;
    }
  }

  /**
   * The path the locked directory has now, where the system can tell (on
   * Linux, through the link /proc gives the fd of a file in it), checked
   * against its identity; undefined otherwise. Read on the real disk, not
   * through the seam: it only names a place.
   */
  #whereNow(): string | undefined {
    const fd = this.fdInside();
    if (fd === undefined) return undefined;
    try {
      const dir = path.dirname(nodeFs.readlinkSync(`/proc/self/fd/${fd}`));
      return realFileIdentity(dir) === this.identity ? dir : undefined;
    } catch {
      return undefined;
    }
  }
}
