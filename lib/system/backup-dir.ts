import * as path from 'node:path';
import { PrevalenceError } from '../errors';
import { makeDirDurably, type FileSystem } from '../fs/seam';
import { invalid, isPlainObject } from './option-checks';
import { pathError, realPathOf, refuseDataFileName, resolvedPathOf } from './basedir';

/**
 * The directory `takeSnapshot({ into })` writes a backup into, checked and
 * created; undefined for a plain `takeSnapshot()`. It must be a new or empty
 * directory other than the system's own: a backup is a data directory of its
 * own, and files already there (journals of another state) would be replayed
 * on top of it.
 */
export function backupDirOf(options: unknown, basedir: string, fs: FileSystem): string | undefined {
  if (options === undefined) return undefined;
  if (!isPlainObject(options)) {
    throw invalid('takeSnapshot takes no argument, or { into: <directory> } to write a backup');
  }
  const unknown = Object.keys(options).filter((k) => k !== 'into');
  if (unknown.length > 0) {
    throw invalid(
      `takeSnapshot does not know the option ${unknown.join(', ')}; the only one is "into" (a directory for a backup)`,
    );
  }
  const { into } = options as { into?: unknown };
  if (into === undefined) return undefined;
  if (typeof into !== 'string' || into === '' || into.includes('\0')) {
    throw invalid('takeSnapshot({ into }) needs the path of a directory, as a non-empty string');
  }
  const dir = path.resolve(into);
  // The system works in the real path of its basedir (see openBasedir).
  if (dir === path.resolve(basedir) || realPathOf(dir) === basedir) {
    throw invalid(
      `takeSnapshot({ into: ${JSON.stringify(into)} }) names the system's own data directory; call takeSnapshot() for a snapshot there, or pass a new directory for a backup`,
    );
  }
  // Inside the data directory, a backup is no copy kept apart from it, and one
  // named like its files would make it refuse to open.
  if (resolvedPathOf(dir).startsWith(basedir + path.sep)) {
    throw invalid(
      `takeSnapshot({ into: ${JSON.stringify(into)} }) is inside the system's own data directory ${basedir}; a backup belongs outside it: pass a new or empty directory elsewhere`,
    );
  }
  refuseDataFileName(dir, 'takeSnapshot({ into }):');
  if (fs.existsSync(dir)) {
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch (err) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        `takeSnapshot({ into: ${JSON.stringify(into)} }) cannot use it (${(err as Error).message}): pass a new or empty directory`,
        { cause: err },
      );
    }
    if (entries.length > 0) {
      throw invalid(
        `takeSnapshot({ into: ${JSON.stringify(into)} }) needs a new or empty directory, and ${dir} holds ${entries.length} file${entries.length > 1 ? 's' : ''}; a backup is a data directory of its own`,
      );
    }
  } else {
    try {
      makeDirDurably(fs, dir);
    } catch (err) {
      const what = `takeSnapshot({ into: ${JSON.stringify(into)} }) cannot create it`;
      const refusal = pathError(fs, dir, err, what);
      if (refusal !== err) throw refusal;
      // A disk error (EIO, ENOSPC), not the path's: as any failed snapshot write.
      throw new PrevalenceError(
        'SNAPSHOT_WRITE_FAILED',
        `${what} (${err instanceof Error ? err.message : String(err)}): no backup was written, and the system's own directory was not touched. Fix the cause (e.g. free disk space) and take the backup again`,
        { cause: err },
      );
    }
  }
  return dir;
}
