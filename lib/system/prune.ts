import { type FileSystem, unlinkOrWarn } from '../fs/seam';
import { listJournalFiles } from '../journal/files';
import { listSnapshots } from '../snapshot/loader';

/**
 * The seqs of the newest two snapshots known to be good, oldest first: the
 * one restore loaded (it passed its checks) and those written since. The
 * older of them is the fallback pruning keeps, so a newer snapshot found
 * damaged at restore never counts as one. Only two are kept: a process
 * taking a snapshot a second must not keep a list of all of them.
 */
export class GoodSnapshots {
  readonly #seqs: number[] = [];

  /** Notes snapshot `seq` as good; a snapshot at the seq of the last one rewrote it. */
  note(seq: number): void {
    const seqs = this.#seqs;
    if (seqs.at(-1) === seq) return;
    seqs.push(seq);
    if (seqs.length > 2) seqs.shift();
  }

  /** The second newest good snapshot's seq, the one pruning keeps; undefined until there are two. */
  get fallback(): number | undefined {
    return this.#seqs.length === 2 ? this.#seqs[0] : undefined;
  }

  /** How many seqs are kept (for tests). */
  get size(): number {
    return this.#seqs.length;
  }
}

/**
 * Deletes the journal files whose every record is contained in the snapshot
 * of seq `fallbackSeq` (the second newest snapshot known to be good), so
 * restore can still fall back to it and replay the journal after it.
 * `beforeDelete` runs before the listing and before each deletion; what it
 * throws stops the pruning and is thrown (the data directory moved away).
 */
export function pruneJournals(
  fs: FileSystem,
  dir: string,
  fallbackSeq: number,
  warn: (message: string) => void,
  beforeDelete: () => void = () => undefined,
): void {
  deleteOldestFirst('pruneJournals', fs, dir, warn, beforeDelete, () => {
    const files = listJournalFiles(fs, dir);
    const covered: string[] = [];
    for (let i = 0; i + 1 < files.length; i++) {
      if (files[i + 1]!.firstSeq - 1 > fallbackSeq) break;
      covered.push(files[i]!.path);
    }
    return covered;
  });
}

/**
 * Deletes the snapshots older than the one of seq `fallbackSeq` (the second
 * newest known to be good): restore needs only the newest good snapshot and
 * that fallback. `beforeDelete` as for {@link pruneJournals}.
 */
export function pruneSnapshots(
  fs: FileSystem,
  dir: string,
  fallbackSeq: number,
  warn: (message: string) => void,
  beforeDelete: () => void = () => undefined,
): void {
  deleteOldestFirst('pruneSnapshots', fs, dir, warn, beforeDelete, () =>
    listSnapshots(fs, dir)
      .filter((s) => s.seq < fallbackSeq)
      .sort((a, b) => a.seq - b.seq)
      .map((s) => s.path),
  );
}

/**
 * Deletes the files `list` names, oldest first, stopping at one that cannot
 * be deleted (or at a crash): the files left are always one contiguous run,
 * never a gap. A failure to list or delete is reported through `warn`, not
 * thrown: pruning only saves space, and the snapshot it follows is already
 * written. What `beforeDelete` throws is thrown.
 */
function deleteOldestFirst(
  option: string,
  fs: FileSystem,
  dir: string,
  warn: (message: string) => void,
  beforeDelete: () => void,
  list: () => string[],
): void {
  beforeDelete();
  let paths: string[];
  try {
    paths = list();
  } catch (err) {
    warn(
      `${option} could not list ${dir} (${err instanceof Error ? err.message : String(err)}); every file is kept, nothing is lost, and the next snapshot tries again`,
    );
    return;
  }
  for (const path of paths) {
    beforeDelete();
    const deleted = unlinkOrWarn(
      fs,
      path,
      warn,
      (reason) =>
        `${option} could not delete ${path} (${reason}); it and the files after it are kept, nothing is lost, and the next snapshot tries again`,
    );
    if (!deleted) break;
  }
}
