// The files of the directory lock (see lock.ts for the protocol): `LOCK`, the
// arbitration files `LOCK.takeover-<hash>` of a takeover, the temporary files
// records are written through, and the `LOCK.<generation>` records of an
// earlier version, read only to respect a live holder and then deleted.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { threadId } from 'node:worker_threads';
import * as path from 'node:path';
import { PrevalenceError } from '../errors';
import { identityText } from '../fs/seam';

export const LOCK_NAME = 'LOCK';
/** Records of the generation design (an earlier version): `LOCK.<16 digits>`, the highest current. */
const GENERATION_NAME = /^LOCK\.\d{16}$/;
/** `LOCK.<pid>.<random>.tmp`: never a snapshot name, so removeUnfinishedSnapshots leaves it alone. */
const TEMP_NAME = /^LOCK\.(\d+)\.[0-9a-f]+\.tmp$/;
const TAKEOVER_PREFIX = `${LOCK_NAME}.takeover-`;

export interface LockRecord {
  /** `held` (what this version writes); `released` only in records of the generation design. */
  state: 'held' | 'released';
  pid: number;
  hostname: string;
  /** When the record was written. */
  since: string;
  /** Identity of the directory the record was written in ("dev:ino"): a copied directory has another. */
  dir?: string;
  /** Random: tells this record from any other content a lock file ever had. */
  token: string;
  /** The worker thread of `pid` that wrote it (`threadId`, 0 for the main thread); absent in older records. */
  thread?: number;
  /**
   * Which process had `pid` ("<boot id>:<start time in clock ticks>", see
   * incarnationOf); absent in older records and where /proc cannot tell.
   */
  started?: string;
}

/** What a listing of the directory found, by kind of lock file. */
export interface LockFiles {
  /** `LOCK.<generation>` records of the generation design, ascending. */
  generations: string[];
  /** Arbitration files (`LOCK.takeover-…`, at any depth). */
  takeovers: string[];
  /** Temporary record files, with the pid in their name. */
  temps: Array<{ name: string; pid: number }>;
}

export function identityOf(dir: string): string {
  return identityText(fs.statSync(dir));
}

export function newRecord(dir: string): LockRecord {
  return {
    state: 'held',
    pid: process.pid,
    hostname: os.hostname(),
    since: new Date().toISOString(),
    dir,
    token: randomBytes(8).toString('hex'),
    thread: threadId,
    ...(STARTED === undefined ? {} : { started: STARTED }),
  };
}

/** This boot of the machine (Linux), or undefined. */
function bootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

const BOOT = bootId();

/**
 * Which process has `pid` now: the boot and the process's start time in
 * clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined where
 * /proc cannot tell (another OS, no such process). Two processes that had
 * one pid, a crashed one and its restart as pid 1 of a container, say,
 * differ here.
 */
export function incarnationOf(pid: number): string | undefined {
  if (BOOT === undefined) return undefined;
  try {
    const start = statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))[19];
    return start === undefined || !/^\d+$/.test(start) ? undefined : `${BOOT}:${start}`;
  } catch {
    return undefined;
  }
}

/** This process's incarnation (shared by its worker threads). */
const STARTED = incarnationOf(process.pid);

/**
 * The name whose owner alone may replace content `seen` of lock file `name`:
 * derived from the file and its content, so everyone who read the same
 * stale content there competes for the same name. Flat (`LOCK.takeover-`
 * and 16 hex digits at every level), so names do not grow with the levels
 * of takeovers that crashed.
 */
export function takeoverName(name: string, seen: Buffer): string {
  const hash = createHash('sha256').update(name).update('\0').update(seen).digest('hex');
  return `${TAKEOVER_PREFIX}${hash.slice(0, 16)}`;
}

export function listLockFiles(dir: string): LockFiles {
  const found: LockFiles = { generations: [], takeovers: [], temps: [] };
  for (const name of fs.readdirSync(dir)) {
    if (GENERATION_NAME.test(name)) found.generations.push(name);
    if (name.startsWith(TAKEOVER_PREFIX)) found.takeovers.push(name);
    const temp = TEMP_NAME.exec(name);
    if (temp) found.temps.push({ name, pid: Number(temp[1]) });
  }
  found.generations.sort();
  return found;
}

/** The bytes of lock file `name`, or undefined if there is none. */
export function readBytes(dir: string, name: string): Buffer | undefined {
  const file = path.join(dir, name);
  // Reading a FIFO would wait for a writer for good: look before reading.
  const stats = fs.statSync(file, { throwIfNoEntry: false });
  if (stats === undefined && fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    // Not "open by another system": nothing holds it, and no version makes one.
    throw notALockFile(dir, file, 'a symbolic link to a file that does not exist');
  }
  if (stats !== undefined && !stats.isFile()) {
    throw notALockFile(
      dir,
      file,
      stats.isDirectory() ? 'a directory' : 'no regular file (a FIFO, socket or device)',
    );
  }
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw notALockFile(dir, file, 'a directory', err);
    throw err;
  }
}

function notALockFile(dir: string, file: string, what: string, cause?: unknown): PrevalenceError {
  return new PrevalenceError(
    'LOCKED',
    `${file} is ${what}, where prevalent keeps a lock file: no version makes it; remove it once sure that no process uses ${dir}`,
    { cause },
  );
}

function parseJson(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record in `bytes`, or undefined if they hold none. A plain
 * `{pid,hostname,acquired,dir?}` of versions before records is read as a
 * `held` record with an empty token.
 */
export function parseRecord(bytes: Buffer | undefined): LockRecord | undefined {
  const json = bytes === undefined ? undefined : parseJson(bytes);
  // No version writes another pid (0 and -1 would signal whole groups when
  // asked whether they live), nor a record without a host: damage, no holder.
  if (typeof json?.pid !== 'number' || !Number.isSafeInteger(json.pid) || json.pid <= 0) {
    return undefined;
  }
  if (typeof json.hostname !== 'string') return undefined;
  if (typeof json.state === 'string') return json as unknown as LockRecord;
  return {
    state: 'held',
    pid: json.pid,
    hostname: String(json.hostname),
    // Records of versions before lock records may lack it: said as unknown, not "undefined".
    since: typeof json.acquired === 'string' ? json.acquired : 'a time it did not record',
    ...(typeof json.dir === 'string' ? { dir: json.dir } : {}),
    token: '',
  };
}

export const readRecord = (dir: string, name: string): LockRecord | undefined =>
  parseRecord(readBytes(dir, name));

/** Writes `text` to a fresh temporary file of this process, named `LOCK.<pid>.<random>.tmp`. */
function writeTemp(dir: string, text: string): string {
  const temp = path.join(dir, `${LOCK_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temp, text, { flag: 'wx' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A write that failed after the create (a full disk) must not leave the file behind.
    if (e.code !== 'EEXIST') {
      try {
        removeIfThere(temp);
      } catch {
        // The write's own error is the one to report.
      }
    }
    if (typeof e.message === 'string' && !e.message.includes(dir)) {
      e.message = `${e.message} (writing the lock file of the data directory ${dir})`;
    }
    throw err;
  }
  return temp;
}

/**
 * Creates lock file `name` with content `text`, atomically: the content is
 * complete in a temporary file before link() gives it the name, and link()
 * fails if the name exists. `exists`: someone else has the name; `lost`: our
 * temporary file was removed under us (see removeDeadTemps), try again.
 */
export function createFile(dir: string, name: string, text: string): 'created' | 'exists' | 'lost' {
  const temp = writeTemp(dir, text);
  try {
    fs.linkSync(temp, path.join(dir, name));
    return 'created';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return 'exists';
    if (code === 'ENOENT') return 'lost';
    throw err;
  } finally {
    removeIfThere(temp);
  }
}

/** Replaces lock file `name` (whatever it holds, if anything) with content `text`, atomically (rename). */
export function replaceFile(dir: string, name: string, text: string): void {
  const temp = writeTemp(dir, text);
  try {
    fs.renameSync(temp, path.join(dir, name));
  } catch (err) {
    removeIfThere(temp);
    throw err;
  }
}

/** Deletes lock file `name` if it still holds the record with `token`. */
export function removeIfOurs(dir: string, name: string, token: string): void {
  if (readRecord(dir, name)?.token === token) removeIfThere(path.join(dir, name));
}

export function removeIfThere(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Whether process `pid` runs. One that ended but was not yet waited for (a
 * zombie: a holder killed by `kill -9` whose parent never reaps, as Node
 * running as pid 1 of a container does not) still answers signals, but has
 * closed its files and never acts again: /proc tells, where there is one.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/**
 * Whether every thread of `pid` has ended: its main thread's state alone is
 * not enough, as a process whose main thread exited while others run shows
 * that thread as a zombie too. Unknown (no /proc) reads as alive.
 */
function isZombie(pid: number): boolean {
  try {
    if (!isDeadState(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      if (!isDeadState(fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8'))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether a /proc stat line shows an ended task (its state, field 3). */
function isDeadState(stat: string): boolean {
  const state = statFields(stat)[0];
  return state === 'Z' || state === 'X';
}

/** The fields of a /proc stat line from field 3 on: after the command name, which may hold spaces and parentheses. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * Removes temporary record files left by processes killed between writing
 * and unlinking them. One whose pid lives, or that names another host, may be
 * in use and stays. (A live writer on another host whose half-written file is
 * removed only sees its link() fail with ENOENT, and retries.)
 */
export function removeDeadTemps(dir: string, temps: LockFiles['temps']): void {
  for (const { name, pid } of temps) {
    if (pid === process.pid || isAlive(pid)) continue;
    const host = parseJson(readBytes(dir, name) ?? Buffer.alloc(0))?.hostname;
    if (host === undefined || host === os.hostname()) removeIfThere(path.join(dir, name));
  }
}
