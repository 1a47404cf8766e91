import { GraphDecoder } from '../codec/graph';
import type { ClassRegistry } from '../codec/registry';
import { loadNewestSnapshot } from '../snapshot/loader';
import { listJournalFiles } from '../journal/files';
import type { ResolvedOptions } from './options';

/** Where a restore starts: the state of the newest valid snapshot, or the caller's fresh object. */
export interface RestoreBase<T> {
  root: T;
  /** The last action the base already contains (0 for a fresh state). */
  seq: number;
  ts: number;
  /** True when the directory held neither snapshots nor journals. */
  empty: boolean;
}

/** Loads the newest snapshot that passes its checks, falling back to older ones. */
export function loadBase<T>(
  opts: ResolvedOptions,
  registry: ClassRegistry,
  makeFresh: () => T,
): RestoreBase<T> {
  const progress = opts.onProgress;
  const snap = loadNewestSnapshot(
    opts.fs,
    opts.basedir,
    () => {
      const decoder = new GraphDecoder(registry);
      return { consume: (line: string) => decoder.push(line), finish: () => decoder.finish() as T };
    },
    opts.warn,
    progress && ((done: number, total: number) => progress({ phase: 'snapshot', done, total })),
  );
  if (snap) return { root: snap.value, seq: snap.seq, ts: snap.ts, empty: false };
  const empty = listJournalFiles(opts.fs, opts.basedir).length === 0;
  return { root: makeFresh(), seq: 0, ts: 0, empty };
}
