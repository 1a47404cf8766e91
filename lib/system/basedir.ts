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
 * Why creating `dir` (with its parents) failed with ENOENT, which Node's
 * recursive mkdir reports both for a symbolic link on the path whose target
 * is missing and, instead of EROFS or EACCES, when the nearest existing
 * parent is on a read-only file system or may not be written. Looked up on
 * the real file system (a diagnosis only); undefined when nothing explains
 * it (the error then passes as it is).
 */
function missingParent(fs: FileSystem, dir: string): string | undefined {
  const full = path.resolve(dir);
  for (let p = full; ; p = path.dirname(p)) {
    if (isDanglingLink(p)) {
      return `${p} is a symbolic link to a path that does not exist: create its target, or choose another location`;
    }
    if (path.dirname(p) === p) break;
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
  return undefined;
}

function isDanglingLink(p: string): boolean {
  try {
    return nodeFs.lstatSync(p).isSymbolicLink() && !nodeFs.existsSync(p);
  } catch {
    return false;
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
  try {
    makeDirDurably(opts.fs, opts.basedir);
    const dir = realPathOf(opts.basedir) ?? opts.basedir;
    return { dir, lock: DirectoryLock.acquire(dir) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    const why =
      code === 'ENOENT'
        ? missingParent(opts.fs, opts.basedir)
        : code === undefined
          ? undefined
          : PATH_ERRORS[code];
    if (why === undefined) throw err;
    throw new PrevalenceError(
      'INVALID_OPTION',
      `basedir ${opts.basedir} cannot be used as the data directory (${code}): ${why}`,
      { cause: err },
    );
  }
}

/** `dir` with every symlink resolved; undefined where it does not exist or cannot be read. */
export function realPathOf(dir: string): string | undefined {
  try {
    return nodeFs.realpathSync.native(dir);
  } catch {
    return undefined;
  }
}
