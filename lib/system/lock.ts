import * as os from 'node:os';
import * as path from 'node:path';
import { PrevalenceError } from '../errors';
import {
  type LockRecord,
  createRecord,
  identityOf,
  isAlive,
  legacyPath,
  listLockFiles,
  newRecord,
  readRecord,
  recordName,
  removeDeadTemps,
  removeIfThere,
} from './lock-records';

/** Identities ("dev:ino") of the directories this process holds open, so a second open here fails too. */
const heldHere = new Set<string>();
/** Tries before giving up on a directory that changes hands all the time. */
const ATTEMPTS = 10;

/**
 * Whether `record` keeps others out of the directory with identity `here`: it
 * says held, was written in this directory (a copied directory's record holds
 * nothing), and its holder may live: another host's holder is never presumed
 * dead; on this host its pid must exist. (A record naming this process and a
 * directory it does not hold is a leftover of a release that failed.)
 */
function holds(record: LockRecord | undefined, here: string): record is LockRecord {
  if (record === undefined || record.state !== 'held') return false;
  if (record.dir !== undefined && record.dir !== here) return false;
  if (record.hostname !== os.hostname()) return true;
  return record.pid !== process.pid && isAlive(record.pid);
}

function lockedError(dir: string, holder: LockRecord | undefined): PrevalenceError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} since ${holder.since}`
    : 'another system';
  return new PrevalenceError(
    'LOCKED',
    `the data directory ${dir} is already open by ${who}; close that system first (or use another basedir)`,
  );
}

/**
 * Deletes every lock file below `generation` in ascending order (the plain
 * `LOCK` first, unless a live old-version process holds it), then the
 * temporary files of dead writers. Only a process that has just created
 * record `generation` may call it (see the protocol).
 */
function removeBelow(dir: string, generation: number, here: string): void {
  const seen = listLockFiles(dir);
  if (seen.legacy && !holds(readRecord(dir, 0), here)) removeIfThere(legacyPath(dir));
  for (const g of seen.generations) {
    if (g < generation) removeIfThere(path.join(dir, recordName(g)));
  }
  removeDeadTemps(dir, seen.temps);
}

/**
 * An exclusive hold on a data directory. A lock left by a process that died
 * (even by `kill -9`) is taken over; a live holder, in this process or
 * another, gives `LOCKED`.
 *
 * The protocol uses only link() (create a name, failing if it exists), unlink,
 * readdir and reads; no timing. Lock records are files `LOCK.<generation>`
 * whose JSON content is complete before the name appears (createRecord); the
 * current record is the highest generation. To acquire: list, take the top
 * generation m; if record m holds (a live holder) → LOCKED; else create
 * m+1 (held). If it exists, someone moved first: start over. If created, list
 * again: a generation above m+1 → lost, start over (the record stays); else,
 * if m+1 is still our record (its token), we hold the lock. The winner, and a
 * releaser after creating its `released` record g+1, delete every lower
 * record in ascending order. Nobody else deletes a record.
 *
 * Why at most one process holds the lock:
 * 1. The highest generation ever created is never deleted: only a process
 *    that created a higher record deletes. So generations never go back.
 * 2. When C's final check passes, C's record g was the highest ever created
 *    at the start s of C's second listing. Else the highest one then, Z > g,
 *    existed at s and C's listing missed it, so it was deleted during the
 *    listing (readdir returns every entry present throughout) by Q, who
 *    created a record above Z after s (Z was the highest), then listed (C's
 *    record was there already), and deleted lower records in ascending order:
 *    C's record went before Z, and C's token check after its listing fails.
 * 3. So C's record is the only file ever named LOCK.<g> (an earlier one could
 *    only have been deleted by the creator of a higher record, which would
 *    have been higher than g at s). Generations grow by at most one, so the
 *    first record above g is g+1, and its creator listed g as the top, then
 *    read C's record: held, by a live process, so it gives up instead. While
 *    C holds, no record above g appears. Another holder W with a lower w
 *    would, by 2, have had the highest record at its own check, before g
 *    existed; the first record above w then needed a reader of W's held
 *    record of a live process: the same contradiction.
 * A loser does not delete its record: it may have been the highest when a
 * third process began its second listing, and 2 needs every deleter to have
 * swept the lower records first. The next winner or releaser sweeps it.
 * Within one process, `heldHere` refuses a second open before any of this
 * (acquire is synchronous); worker threads share the pid and are not covered.
 */
export class DirectoryLock {
  readonly #identity: string;
  readonly #generation: number;

  private constructor(
    readonly dir: string,
    identity: string,
    generation: number,
  ) {
    this.#identity = identity;
    this.#generation = generation;
  }

  static acquire(dir: string): DirectoryLock {
    const here = identityOf(dir);
    if (heldHere.has(here)) throw lockedError(dir, DirectoryLock.current(dir));
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const seen = listLockFiles(dir);
      const top = seen.generations.at(-1) ?? 0;
      // A live holder of an old-version plain LOCK keeps us out whatever the generations say.
      const legacy = seen.legacy ? readRecord(dir, 0) : undefined;
      if (holds(legacy, here)) throw lockedError(dir, legacy);
      const current = top > 0 ? readRecord(dir, top) : undefined;
      if (holds(current, here)) throw lockedError(dir, current);
      const mine = newRecord('held', here);
      if (!createRecord(dir, top + 1, mine)) continue;
      if (!DirectoryLock.won(dir, top + 1, mine.token)) continue;
      try {
        removeBelow(dir, top + 1, here);
      } catch {
        // leftovers hold nothing (a higher record is ours): the next winner or releaser sweeps them
      }
      heldHere.add(here);
      return new DirectoryLock(dir, here, top + 1);
    }
    throw lockedError(dir, DirectoryLock.current(dir));
  }

  /** Whether record `generation` (just created, holding `token`) is the current one and still ours. */
  private static won(dir: string, generation: number, token: string): boolean {
    const top = listLockFiles(dir).generations.at(-1);
    return top === generation && readRecord(dir, generation)?.token === token;
  }

  /** The current record, for an error message. */
  private static current(dir: string): LockRecord | undefined {
    const top = listLockFiles(dir).generations.at(-1);
    return top === undefined ? readRecord(dir, 0) : readRecord(dir, top);
  }

  /**
   * Gives the directory back: a `released` record above ours, then ours (and
   * anything older) deleted. Never throws: a failed release leaves our record,
   * which stops holding once this process ends.
   */
  release(): void {
    heldHere.delete(this.#identity);
    try {
      const next = this.#generation + 1;
      if (createRecord(this.dir, next, newRecord('released', this.#identity))) {
        removeBelow(this.dir, next, this.#identity);
      }
    } catch {
      // the directory is gone or unwritable: nothing more to give back
    }
  }
}
