import { type FileSystem, unlinkOrWarn } from '../fs/seam';
import { listJournalFiles } from '../journal/files';

/**
 * Deletes the journal files whose every record is contained in the snapshot
 * of seq `fallbackSeq` (the second newest snapshot known to be good), so
 * restore can still fall back to it and replay the journal after it. A file
 * that cannot be deleted is kept and reported through `warn`: pruning only
 * saves space, and the snapshot it follows is already written.
 */
export function pruneJournals(
  fs: FileSystem,
  dir: string,
  fallbackSeq: number,
  warn: (message: string) => void,
): void {
  const files = listJournalFiles(fs, dir);
  for (let i = 0; i + 1 < files.length; i++) {
    const next = files[i + 1]!;
    if (next.firstSeq - 1 > fallbackSeq) continue;
    const { path } = files[i]!;
    unlinkOrWarn(
      fs,
      path,
      warn,
      (reason) =>
        `pruneJournals could not delete ${path} (${reason}); it is kept, nothing is lost, and the next snapshot tries again`,
    );
  }
}
