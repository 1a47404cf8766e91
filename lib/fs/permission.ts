import { PrevalenceError, type PrevalenceErrorCode } from '../errors';
import type { FileSystem } from './seam';

// Errors that say the process may not open the file as asked, rather than that the disk failed.
const PERMISSION_CODES = new Set(['EACCES', 'EPERM', 'EROFS']);

/** True when `err` says the process may not read or write a file (EACCES, EPERM, EROFS). */
export function isPermissionError(err: unknown): boolean {
  return PERMISSION_CODES.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * Opens `file` with `flags`. When the process may not (a file owned by
 * another user, a mode without read or write for it), throws a
 * PrevalenceError with `code` that says what was opened and what for
 * (`what`, e.g. "snapshot file <path> to read it") and says to fix its
 * ownership or permissions, with the OS error as cause: a bare `EACCES: permission
 * denied, open '…'` left the operator to guess (operator review). Any other
 * error passes on as it is.
 */
export function openPermitted(
  fs: FileSystem,
  file: string,
  flags: string,
  code: PrevalenceErrorCode,
  what: string,
): number {
  try {
    return fs.openSync(file, flags);
  } catch (err) {
    if (!isPermissionError(err)) throw err;
    const uid = process.getuid?.();
    const who = uid === undefined ? 'this process' : `this process (uid ${uid})`;
    throw new PrevalenceError(
      code,
      `${who} may not open ${what} (${err instanceof Error ? err.message : String(err)}): ` +
        "fix the file's ownership or permissions so that the process opening the data directory " +
        'may read and write every file in it, and open again',
      { cause: err },
    );
  }
}
