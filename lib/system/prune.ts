import { type FileSystem, unlinkOrWarn } from '../fs/seam';
import { type JournalFile, listJournalFiles } from '../journal/files';
import { listSnapshots, type SnapshotEntry } from '../snapshot/loader';

/**
 * Deletes the journal files whose every record is contained in the snapshot
 * of seq `fallbackSeq` (the second newest snapshot known to be good), so
 * restore can still fall back to it and replay the journal after it. Oldest
 * first, stopping at a file that cannot be deleted (or at a crash): the files
 * left are always one contiguous run, never a gap. A failure is reported
 * through `warn`, not thrown: pruning only saves space, and the snapshot it
 * follows is already written.
 */
export function pruneJournals(
  fs: FileSystem,
  dir: string,
  fallbackSeq: number,
  warn: (message: string) => void,
): void {
  let files: JournalFile[];
  try {
    files = listJournalFiles(fs, dir);
  } catch (err) {
    warn(
      `pruneJournals could not list ${dir} (${err instanceof Error ? err.message : String(err)}); every journal file is kept, nothing is lost, and the next snapshot tries again`,
    );
    return;
  }
  for (let i = 0; i + 1 < files.length; i++) {
    if (files[i + 1]!.firstSeq - 1 > fallbackSeq) break;
    const { path } = files[i]!;
    const deleted = unlinkOrWarn(
      fs,
      path,
      warn,
      (reason) =>
        `pruneJournals could not delete ${path} (${reason}); it and the files after it are kept, nothing is lost, and the next snapshot tries again`,
    );
    if (!deleted) break;
  }
}

/**
 * Deletes the snapshots older than the one of seq `fallbackSeq` (the second
 * newest known to be good): restore needs only the newest good snapshot and
 * that fallback. Oldest first, stopping at a file that cannot be deleted
 * (reported through `warn`, like a directory that cannot be listed); a
 * crash midway leaves older snapshots, never fewer than needed.
 */
export function pruneSnapshots(
  fs: FileSystem,
  dir: string,
  fallbackSeq: number,
  warn: (message: string) => void,
): void {
  let snapshots: SnapshotEntry[];
  try {
    snapshots = listSnapshots(fs, dir);
  } catch (err) {
    warn(
      `pruneSnapshots could not list ${dir} (${err instanceof Error ? err.message : String(err)}); every snapshot is kept, and the next snapshot tries again`,
    );
    return;
  }
  const older = snapshots.filter((s) => s.seq < fallbackSeq).sort((a, b) => a.seq - b.seq);
  for (const { path } of older) {
    const deleted = unlinkOrWarn(
      fs,
      path,
      warn,
      (reason) =>
        `pruneSnapshots could not delete ${path} (${reason}); it and the later snapshots are kept, and the next snapshot tries again`,
    );
    if (!deleted) break;
  }
}
