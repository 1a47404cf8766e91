import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrevalenceError } from '../errors';

const LOCK_NAME = 'LOCK';
/** Directories this process holds open, so a second open in the same process fails too. */
const heldHere = new Set<string>();

interface LockInfo {
  pid: number;
  hostname: string;
  acquired: string;
  /** Identity of the directory the lock was taken in ("dev:ino"): a copied directory has another. */
  dir?: string;
}

function identityOf(dir: string): string {
  const st = fs.statSync(dir);
  return `${st.dev}:${st.ino}`;
}

function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(dir: string, holder: LockInfo | undefined): PrevalenceError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} since ${holder.acquired}`
    : 'another system';
  return new PrevalenceError(
    'LOCKED',
    `the data directory ${dir} is already open by ${who}; close that system first (or use another basedir)`,
  );
}

/**
 * An exclusive hold on a data directory: a `LOCK` file naming the holder's
 * pid. A lock left by a process that died (even by `kill -9`) is detected
 * and taken over; a live holder, in this process or another, gives `LOCKED`.
 */
export class DirectoryLock {
  private constructor(
    readonly dir: string,
    private readonly file: string,
  ) {}

  static acquire(dir: string): DirectoryLock {
    if (heldHere.has(dir)) throw lockedError(dir, readLock(path.join(dir, LOCK_NAME)));
    const file = path.join(dir, LOCK_NAME);
    const mine: LockInfo = {
      pid: process.pid,
      hostname: os.hostname(),
      acquired: new Date().toISOString(),
      dir: identityOf(dir),
    };
    const text = JSON.stringify(mine);
    try {
      fs.writeFileSync(file, text, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      DirectoryLock.takeOverStale(dir, file, text);
    }
    heldHere.add(dir);
    return new DirectoryLock(dir, file);
  }

  private static takeOverStale(dir: string, file: string, text: string): void {
    const found = readLock(file);
    // A LOCK copied along with the directory (a backup) names another directory: it holds nothing here.
    const holder = found?.dir !== undefined && found.dir !== identityOf(dir) ? undefined : found;
    const sameHost = holder?.hostname === os.hostname();
    if (holder && sameHost && holder.pid !== process.pid && isAlive(holder.pid)) {
      throw lockedError(dir, holder);
    }
    if (holder && !sameHost) throw lockedError(dir, holder);
    // The holder is dead (or unreadable): replace the lock atomically, then
    // check we won in case another process raced us to the same takeover.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    if (readLock(file)?.pid !== process.pid) throw lockedError(dir, readLock(file));
  }

  /** Gives the directory back. */
  release(): void {
    heldHere.delete(this.dir);
    if (readLock(this.file)?.pid === process.pid) {
      try {
        fs.unlinkSync(this.file);
      } catch {
        // already gone: nothing to give back
      }
    }
  }
}
