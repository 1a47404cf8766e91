import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { PrevalenceError } from '../errors';
import { makeDirDurably, type FileSystem } from '../fs/seam';
import { DirectoryLock } from './lock';
import type { ResolvedOptions } from './options';

// Errors that say the path is wrong or not ours to write: the caller's to fix.
const PATH_ERRORS: Readonly<Record<string, string>> = {
  EEXIST:
    'it names an existing file, not a directory: pass the path of a directory (it is created when missing)',
  ENOTDIR:
    'a part of the path is a file, not a directory: choose a path whose parents are directories',
  EACCES: 'permission denied: choose a location this process may write, or change its permissions',
  EPERM:
    'operation not permitted: choose a location this process may write, or change its permissions',
  EROFS: 'it is on a read-only file system: choose a writable location',
  ENAMETOOLONG: 'the path is too long: choose a shorter one',
  ELOOP: 'the path has too many symbolic links (a loop?): fix the links or choose another path',
};

/**
 * Why creating `dir` (with its parents), or a file in it, failed with
 * ENOENT: a symbolic link on the path whose target is missing, a nearest
 * existing parent on a read-only file system or one that may not be written
 * (reported as ENOENT instead of EROFS or EACCES), or a file system that
 * takes no new entries there (/proc). Looked up on the real file system (a
 * diagnosis only); undefined only when no parent exists at all.
 */
function missingParent(fs: FileSystem, dir: string): string | undefined {
  const full = path.resolve(dir);
  const dangling = danglingLinkOn(full);
  if (dangling !== undefined) return dangling;
  if (fs.existsSync(full)) {
    return 'files could not be created in it (the file system there refused it): choose a directory on an ordinary writable file system';
  }
  let parent = path.dirname(full);
  while (!fs.existsSync(parent)) {
    const up = path.dirname(parent);
    if (up === parent) return undefined;
    parent = up;
  }
  try {
    nodeFs.accessSync(parent, nodeFs.constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'an error';
    return `it could not be created under ${parent}, its nearest existing parent, which may not be written (${code}): choose a writable location`;
  }
  // A parent that may be written but takes no new directory (/proc, /sys).
  return `it could not be created under ${parent}, its nearest existing parent (the file system there refused it): choose a location on an ordinary writable file system`;
}

/** Why `full` cannot be created when a symbolic link on it leads nowhere; else undefined. */
function danglingLinkOn(full: string): string | undefined {
  for (let p = full; ; p = path.dirname(p)) {
    if (isDanglingLink(p)) {
      return `${p} is a symbolic link to a path that does not exist: create its target, or choose another location`;
    }
    if (path.dirname(p) === p) return undefined;
  }
}

function isDanglingLink(p: string): boolean {
  try {
    return nodeFs.lstatSync(p).isSymbolicLink() && !nodeFs.existsSync(p);
  } catch {
    return false;
  }
}

// Exactly the names a data directory's own files have (journal/files.ts,
// snapshot/format.ts, lock-records.ts): a directory named so inside one is
// listed with them, as a journal or snapshot that cannot be read, and makes
// that data directory refuse to open.
const DATA_FILE_NAME =
  /^(journal-\d{16}\.jsonl|snapshot-\d{16}\.snap(\.tmp|\.backup\.tmp)?|LOCK|LOCK\.\d{16}|LOCK\.\d+\.[0-9a-f]+\.tmp|LOCK\.takeover-[0-9a-f]+)$/;

/**
 * Refuses (INVALID_OPTION) a directory for a data directory or a backup
 * whose name is one of a data directory's own files (`journal-….jsonl`,
 * `snapshot-….snap`, `LOCK`): where its parent is a data directory, that
 * one would no longer open. `what` names the option in the message.
 */
export function refuseDataFileName(dir: string, what: string, fs?: FileSystem): void {
  const name = path.basename(dir);
  if (!DATA_FILE_NAME.test(name)) return;
  // A data directory an earlier version made under such a name still opens.
  if (fs !== undefined && holdsDataFiles(fs, dir)) return;
  throw new PrevalenceError(
    'INVALID_OPTION',
    `${what} ${dir} is named like a file of a prevalent data directory (${name}): in one, it would be read as that file and the directory would no longer open; choose another name (nothing was created)`,
  );
}

/** True when `dir` is a directory holding a data directory's own files. */
function holdsDataFiles(fs: FileSystem, dir: string): boolean {
  try {
    return fs.existsSync(dir) && fs.readdirSync(dir).some((n) => DATA_FILE_NAME.test(n));
  } catch {
    return false;
  }
}

/**
 * The path `dir` leads to with every symlink of its existing part resolved
 * (the part not yet created appended as given).
 */
export function resolvedPathOf(dir: string): string {
  const full = path.resolve(dir);
  const rest: string[] = [];
  for (let p = full; ; p = path.dirname(p)) {
    const real = realPathOf(p);
    if (real !== undefined) return path.join(real, ...rest.reverse());
    if (path.dirname(p) === p) return full;
    rest.push(path.basename(p));
  }
}

/** The data directory an open works in, and its lock. */
export interface OpenedDir {
  /** The directory's path with every symlink resolved (see openBasedir). */
  dir: string;
  lock: DirectoryLock;
}

/**
 * Creates the data directory when missing and takes its lock. A path that
 * cannot be a data directory (a file, under a file, not writable) is refused
 * with `INVALID_OPTION` naming it; other failures (EIO, ENOSPC) pass as they are.
 *
 * The system works in the directory the path led to at open: a symlink on
 * the way re-pointed while it runs (a deploy switching `current`) made its
 * snapshots and new journal files go into another directory, which another
 * system may hold, while its lock stayed in the first.
 */
export function openBasedir(opts: ResolvedOptions): OpenedDir {
  refuseDataFileName(opts.basedir, 'basedir', opts.fs);
  warnIfForeign(opts);
  try {
    makeDirDurably(opts.fs, opts.basedir);
    const dir = realPathOf(opts.basedir) ?? opts.basedir;
    return { dir, lock: DirectoryLock.acquire(dir) };
  } catch (err) {
    throw pathError(
      opts.fs,
      opts.basedir,
      err,
      `basedir ${opts.basedir} cannot be used as the data directory`,
    );
  }
}

/**
 * INVALID_OPTION saying `what` and why, for an error of creating or using
 * the directory `dir` that says the path is wrong or not ours to write;
 * any other error (EIO, ENOSPC) as it is.
 */
export function pathError(fs: FileSystem, dir: string, err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  // Creating a directory where a dangling symbolic link stands fails with EEXIST.
  const why =
    code === 'ENOENT'
      ? missingParent(fs, dir)
      : code === 'EEXIST'
        ? (danglingLinkOn(path.resolve(dir)) ?? PATH_ERRORS[code])
        : code === undefined
          ? undefined
          : PATH_ERRORS[code];
  if (why === undefined) return err;
  return new PrevalenceError('INVALID_OPTION', `${what} (${code}): ${why}`, { cause: err });
}

/**
 * Warns when the data directory about to be used already holds files, none
 * of them a data directory's: a mistyped basedir (`.`, a parent, a project
 * folder) would get snapshots and journals written among them. Hidden
 * entries and `lost+found` (a fresh volume's) do not count.
 */
function warnIfForeign(opts: ResolvedOptions): void {
  let names: string[];
  try {
    if (!opts.fs.existsSync(opts.basedir)) return;
    names = opts.fs.readdirSync(opts.basedir);
  } catch {
    return; // not a readable directory: the open says why
  }
  const others = names.filter((n) => !n.startsWith('.') && n !== 'lost+found');
  if (others.length === 0 || names.some((n) => DATA_FILE_NAME.test(n))) return;
  const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ', …' : '');
  opts.warn(
    `basedir ${opts.basedir} holds ${others.length} entr${others.length > 1 ? 'ies' : 'y'} (${shown}) and no prevalent data: it becomes a new data directory, with snapshot and journal files written among them; if that was not meant, close the system and pass a new or empty directory`,
  );
}

/** `dir` with every symlink resolved; undefined where it does not exist or cannot be read. */
export function realPathOf(dir: string): string | undefined {
  try {
    return nodeFs.realpathSync.native(dir);
  } catch {
    return undefined;
  }
}
