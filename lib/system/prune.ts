import type { FileSystem } from '../fs/seam';
import { listJournalFiles } from '../journal/files';
import { listSnapshots } from '../snapshot/loader';

/**
 * Deletes journal files whose every record is already contained in the
 * second-newest snapshot, so restore can still fall back one snapshot.
 */
export function pruneJournals(fs: FileSystem, dir: string): void {
  const snapshots = listSnapshots(fs, dir);
  const secondNewest = snapshots[1];
  if (secondNewest === undefined) return;
  const files = listJournalFiles(fs, dir);
  for (let i = 0; i + 1 < files.length; i++) {
    const next = files[i + 1]!;
    if (next.firstSeq - 1 <= secondNewest.seq) fs.unlinkSync(files[i]!.path);
  }
}
