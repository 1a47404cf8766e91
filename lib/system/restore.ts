import { GraphDecoder } from '../codec/graph';
import type { ClassRegistry } from '../codec/registry';
import { PrevalenceError } from '../errors';
import { loadNewestSnapshot } from '../snapshot/loader';
import { unfinishedSnapshotOf } from '../snapshot/format';
import { listJournalFiles } from '../journal/files';
import { type DirectorySeed, newDirectorySeed } from '../clock/seed';
import type { ResolvedOptions } from './options';

/** Where a restore starts: the state of the newest valid snapshot, or the caller's fresh object. */
export interface RestoreBase<T> {
  root: T;
  /** The last action the base already contains (0 for a fresh state). */
  seq: number;
  ts: number;
  /**
   * The directory's seed: the loaded snapshot's, a new one for an empty
   * directory (its snapshot 0 will carry it), undefined for a directory
   * created before seeds existed.
   */
  seed: DirectorySeed | undefined;
  /** The print of the code that wrote the snapshot (see codePrintOf); undefined when none says. */
  code: string | undefined;
  /** True when the directory held neither snapshots nor journals. */
  empty: boolean;
  /** True when the base is a snapshot that passed its checks (seq is its seq). */
  fromSnapshot: boolean;
  /** The seq of the newest snapshot skipped as damaged, when restore fell back past one. */
  skippedSeq?: number | undefined;
}

/**
 * SNAPSHOT_CORRUPT for a directory holding no snapshot and no journal but
 * an unfinished backup (`snapshot-<seq>.snap.backup.tmp`: a
 * `takeSnapshot({ into })` whose process ended while it wrote), or an
 * unfinished snapshot past seq 0 (a backup by a version before that name).
 * Opened as a new directory, it started an empty state without a word and
 * deleted that file (review). An unfinished `snapshot-0…0.snap.tmp` alone is
 * a first open that did not finish, where nothing was ever acknowledged:
 * that directory is new.
 */
function refuseUnfinishedOnly(opts: ResolvedOptions): void {
  let names: string[];
  try {
    names = opts.fs.readdirSync(opts.basedir);
  } catch {
    return; // listed a moment ago: the open says what fails next
  }
  // Past seq 0 any unfinished snapshot; at seq 0 a backup's only (a new
  // directory's cut-short first open leaves snapshot-0…0.snap.tmp).
  const unfinished = names
    .filter((name) => {
      const found = unfinishedSnapshotOf(name);
      return found !== undefined && (found.backup || found.seq > 0);
    })
    .sort();
  if (unfinished.length === 0) return;
  throw new PrevalenceError(
    'SNAPSHOT_CORRUPT',
    `${opts.basedir} holds no snapshot and no journal, only the unfinished snapshot ${unfinished.join(', ')}: one whose writing stopped before it was complete, most likely a backup (takeSnapshot({ into })) whose process ended while it wrote. Opened as it is, it would start a new, empty state, so nothing was changed: take the backup again into a new or empty directory (or open the directory it was taken from); to start a new data directory here instead, delete that file`,
  );
}

/** Loads the newest snapshot that passes its checks, falling back to older ones. */
export function loadBase<T>(
  opts: ResolvedOptions,
  registry: ClassRegistry,
  /** A new instance of the domain class: for an empty directory (`empty`), or to replay journals into. */
  makeFresh: (empty: boolean) => T,
): RestoreBase<T> {
  const progress = opts.onProgress;
  const snap = loadNewestSnapshot(
    opts.fs,
    opts.basedir,
    () => new GraphDecoder(registry).asConsumer<T>(),
    opts.warn,
    progress && ((done: number, total: number) => progress({ phase: 'snapshot', done, total })),
    undefined,
    () => listJournalFiles(opts.fs, opts.basedir)[0]?.firstSeq,
  );
  if (snap) {
    return {
      root: snap.value,
      seq: snap.seq,
      ts: snap.ts,
      seed: snap.seed,
      code: snap.code,
      empty: false,
      fromSnapshot: true,
      skippedSeq: snap.skippedSeq,
    };
  }
  if (listJournalFiles(opts.fs, opts.basedir).length === 0) {
    refuseUnfinishedOnly(opts);
    const seed = newDirectorySeed();
    return {
      root: makeFresh(true),
      seq: 0,
      ts: 0,
      seed,
      code: undefined,
      empty: true,
      fromSnapshot: false,
    };
  }
  // Journals without any snapshot: the snapshots were moved aside. Their seed
  // went with them, so the journal replays with the seeding of a directory
  // without one, which matches the live run only if the directory never had one.
  opts.warn(
    `${opts.basedir} holds journals but no snapshot: rebuilding the state from the journal alone. ` +
      "If its snapshots carried a directory seed (see docs/FORMAT.md), the replayed actions' " +
      'random() and uuid() values differ from the live run; to keep them, close this system before ' +
      'it runs any action or takes a snapshot (an automatic one too: snapshotIntervalMs: 0) and put ' +
      "a valid snapshot back (after either, putting one back would change the values this run's " +
      'actions gave, or the snapshot it took would hide the one put back)',
  );
  return {
    root: makeFresh(false),
    seq: 0,
    ts: 0,
    seed: undefined,
    code: undefined,
    empty: false,
    fromSnapshot: false,
  };
}
