import type { FileSystem } from './seam';

/**
 * What keeps the entry `file` from being read as a data file, as a phrase
 * to follow its name (`is a directory`); undefined for a regular file, for
 * a missing one (its open reports that), and when the seam cannot tell
 * (no `entryKind`). Checked before a data file is opened: opening a FIFO
 * would block for good, and the other kinds fail with errors naming no file.
 */
export function oddEntry(fs: FileSystem, file: string): string | undefined {
  switch (fs.entryKind?.(file)) {
    case 'directory':
      return 'is a directory, not a file';
    case 'broken-link':
      return 'is a symbolic link to nothing (its target does not exist)';
    case 'other':
      return 'is not a regular file (a FIFO, socket or device; reading a FIFO would wait for a writer for good)';
    default:
      return undefined;
  }
}
