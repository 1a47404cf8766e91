import { PrevalenceError } from '../errors';
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
 * Creates the data directory when missing and takes its lock. A path that
 * cannot be a data directory (a file, under a file, not writable) is refused
 * with `INVALID_OPTION` naming it; other failures (EIO, ENOSPC) pass as they are.
 */
export function openBasedir(opts: ResolvedOptions): DirectoryLock {
  try {
    opts.fs.mkdirSync(opts.basedir);
    return DirectoryLock.acquire(opts.basedir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    const why = code === undefined ? undefined : PATH_ERRORS[code];
    if (why === undefined) throw err;
    throw new PrevalenceError(
      'INVALID_OPTION',
      `basedir ${opts.basedir} cannot be used as the data directory (${code}): ${why}`,
      { cause: err },
    );
  }
}
