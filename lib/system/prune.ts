import type { FileSystem } from '../fs/seam';
import { listJournalFiles } from '../journal/files';

/**
 * Deletes the journal files whose every record is contained in the snapshot
 * of seq `fallbackSeq` (the second newest snapshot known to be good), so
 * restore can still fall back to it and replay the journal after it.
 */
export function pruneJournals(fs: FileSystem, dir: string, fallbackSeq: number): void {
  const files = listJournalFiles(fs, dir);
  for (let i = 0; i + 1 < files.length; i++) {
    const next = files[i + 1]!;
    if (next.firstSeq - 1 <= fallbackSeq) fs.unlinkSync(files[i]!.path);
  }
}
