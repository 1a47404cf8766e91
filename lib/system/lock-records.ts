// The files of the directory lock (see lock.ts for the protocol): records
// `LOCK.<generation>` created atomically with their content, the plain `LOCK`
// of earlier versions, and the temporary files records are written through.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The lock file of versions before generations; read as generation 0. */
const LEGACY_NAME = 'LOCK';
const RECORD_NAME = /^LOCK\.(\d{16})$/;
/** `LOCK.<pid>.<random>.tmp`: never a snapshot name, so removeUnfinishedSnapshots leaves it alone. */
const TEMP_NAME = /^LOCK\.(\d+)\.[0-9a-f]+\.tmp$/;

export interface LockRecord {
  /** `held`: the directory is open; `released`: it was closed. */
  state: 'held' | 'released';
  pid: number;
  hostname: string;
  /** When the record was written (taken or given back). */
  since: string;
  /** Identity of the directory the record was written in ("dev:ino"): a copied directory has another. */
  dir?: string;
  /** Random: tells this record from any other file that ever had its name. */
  token: string;
}

/** What a listing of the directory found. */
export interface LockFiles {
  /** Generations of the records, ascending. */
  generations: number[];
  /** Whether a plain `LOCK` (generation 0) is there. */
  legacy: boolean;
  /** Names of temporary record files, with the pid in their name. */
  temps: Array<{ name: string; pid: number }>;
}

export const recordName = (generation: number): string =>
  `LOCK.${String(generation).padStart(16, '0')}`;

export function identityOf(dir: string): string {
  const st = fs.statSync(dir);
  return `${st.dev}:${st.ino}`;
}

export function newRecord(state: LockRecord['state'], dir: string): LockRecord {
  return {
    state,
    pid: process.pid,
    hostname: os.hostname(),
    since: new Date().toISOString(),
    dir,
    token: randomBytes(8).toString('hex'),
  };
}

export function listLockFiles(dir: string): LockFiles {
  const found: LockFiles = { generations: [], legacy: false, temps: [] };
  for (const name of fs.readdirSync(dir)) {
    if (name === LEGACY_NAME) found.legacy = true;
    const record = RECORD_NAME.exec(name);
    if (record) found.generations.push(Number(record[1]));
    const temp = TEMP_NAME.exec(name);
    if (temp) found.temps.push({ name, pid: Number(temp[1]) });
  }
  found.generations.sort((a, b) => a - b);
  return found;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Record `generation` (0: the plain `LOCK`, `{pid,hostname,acquired,dir?}`), or undefined if unreadable. */
export function readRecord(dir: string, generation: number): LockRecord | undefined {
  if (generation > 0) {
    const json = readJson(path.join(dir, recordName(generation)));
    return typeof json?.pid === 'number' && typeof json.state === 'string'
      ? (json as unknown as LockRecord)
      : undefined;
  }
  const old = readJson(path.join(dir, LEGACY_NAME));
  if (typeof old?.pid !== 'number') return undefined;
  return {
    state: 'held',
    pid: old.pid,
    hostname: String(old.hostname),
    since: String(old.acquired),
    ...(typeof old.dir === 'string' ? { dir: old.dir } : {}),
    token: '',
  };
}

/**
 * Creates `LOCK.<generation>` with `record` as its content, atomically: the
 * content is complete in a temporary file before link() gives it the name,
 * and link() fails if the name exists. False if it exists (or the temporary
 * file was removed under us, see removeDeadTemps): someone else moved first.
 */
export function createRecord(dir: string, generation: number, record: LockRecord): boolean {
  const temp = path.join(dir, `LOCK.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  fs.writeFileSync(temp, JSON.stringify(record), { flag: 'wx' });
  try {
    fs.linkSync(temp, path.join(dir, recordName(generation)));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    throw err;
  } finally {
    removeIfThere(temp);
  }
}

export function removeIfThere(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export const legacyPath = (dir: string): string => path.join(dir, LEGACY_NAME);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary record files left by processes killed between writing
 * and unlinking them. One whose pid lives, or that names another host, may be
 * in use and stays. (A live writer on another host whose half-written file is
 * removed only sees its link() fail, and retries.)
 */
export function removeDeadTemps(dir: string, temps: LockFiles['temps']): void {
  for (const { name, pid } of temps) {
    if (pid === process.pid || isAlive(pid)) continue;
    const file = path.join(dir, name);
    const host = readJson(file)?.hostname;
    if (host === undefined || host === os.hostname()) removeIfThere(file);
  }
}
