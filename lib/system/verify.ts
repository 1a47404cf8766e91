import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { PrevalenceError, isPrevalenceError } from '../errors';
import { ClassRegistry, globalRegistry } from '../codec/registry';
import type { StorableClass } from '../codec/registry';
import { GraphDecoder, encodeGraph } from '../codec/graph';
import { firstDifference } from '../codec/equal';
import { listSnapshots, readSnapshot, type SnapshotEntry } from '../snapshot/loader';
import { listJournalFiles, type JournalFile } from '../journal/files';
import { snapshotInfo } from '../snapshot/info';
import { replayJournal } from '../journal/reader';
import { readOnlyFs } from '../fs/readonly';
import { SystemClock, installClock } from '../clock/clock';
import { refusePrivateMembers } from '../clock/private-members';
import { ActionRunner } from './runner';
import { Exporter } from './exporter';
import { Replayer } from './replayer';

/** Where {@link verifyReplay} found the replayed state to differ from the live one. */
export interface ReplayDivergence {
  /** The last action after which replay and live run were known to agree (a snapshot's seq). */
  agreedThrough: number;
  /** The first action after which they differ lies in `agreedThrough + 1 ..= seq`. */
  seq: number;
  /** The snapshot whose recorded digest the replayed state failed to match (or undefined for an outcome divergence). */
  snapshot?: string;
  /** The first differing path in the state, e.g. `pages["home"].history[3]`, with both values. */
  path?: string;
  /** Set when an action ended differently in replay (threw vs completed). */
  message?: string;
}

/** The result of {@link verifyReplay}. */
export interface ReplayReport {
  ok: boolean;
  snapshotsChecked: number;
  actionsReplayed: number;
  divergence?: ReplayDivergence;
}

/** Options of {@link verifyReplay}. */
export interface VerifyOptions {
  /** Classes to register besides the domain class and `@persistent` ones. */
  classes?: StorableClass[] | Record<string, StorableClass>;
  onWarning?: (message: string) => void;
}

function registryFor(domainClass: StorableClass, options: VerifyOptions): ClassRegistry {
  refusePrivateMembers(domainClass);
  const registry = new ClassRegistry(globalRegistry);
  registry.register(domainClass, globalRegistry.nameOf(domainClass) ?? domainClass.name);
  const classes = options.classes ?? [];
  const entries = Array.isArray(classes)
    ? classes.map((c) => [c.name, c] as const)
    : Object.entries(classes);
  for (const [name, cls] of entries) {
    refusePrivateMembers(cls);
    registry.register(cls, name);
  }
  return registry;
}

function loadState(file: string, registry: ClassRegistry): { root: object; seq: number } {
  const decoder = new GraphDecoder(registry);
  const info = readSnapshot(readOnlyFs(), file, (line) => decoder.push(line));
  return { root: decoder.finish() as object, seq: info.seq };
}

function digestOf(root: object, registry: ClassRegistry): string {
  const hash = createHash('sha256');
  encodeGraph(root, registry, (line) => {
    hash.update(line);
    hash.update('\n');
  });
  return hash.digest('hex');
}

/**
 * The snapshots (oldest first) from the oldest one the journals still reach
 * on: with `pruneJournals` the records after the oldest snapshots are gone.
 * When the journals reach none of them, all are kept, so that the replay
 * reports the missing records.
 */
function firstReachable(snapshots: SnapshotEntry[], journals: JournalFile[]): SnapshotEntry[] {
  const firstSeq = journals[0]?.firstSeq;
  if (firstSeq === undefined) return snapshots.slice(-1); // no journal: nothing to replay after the newest
  const from = snapshots.findIndex((snap) => snap.seq + 1 >= firstSeq);
  return from < 0 ? snapshots : snapshots.slice(from);
}

/**
 * Proves that replay reproduces the live run: restores the oldest snapshot in
 * `basedir` that the journals still reach (see `pruneJournals`), replays the journal, and at each newer snapshot compares the
 * digest of the replayed state with the digest the live system recorded.
 * Reports the first snapshot where they differ, the window of actions where
 * the divergence happened, and the first differing path. Writes nothing, and
 * may run while the system is open.
 */
export function verifyReplay(
  basedir: string,
  domainClass: StorableClass,
  options: VerifyOptions = {},
): ReplayReport {
  const dir = path.resolve(basedir);
  const fs = readOnlyFs();
  const warn = options.onWarning ?? ((m: string) => process.emitWarning(m, 'PrevalentWarning'));
  const registry = registryFor(domainClass, options);
  const snapshots = firstReachable(listSnapshots(fs, dir).reverse(), listJournalFiles(fs, dir));
  const oldest = snapshots[0];
  if (oldest === undefined) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `${dir} holds no snapshot to verify from; is it a prevalent data directory?`,
    );
  }
  const { root, seq: startSeq } = loadState(oldest.path, registry);
  const clock = new SystemClock();
  installClock(root, clock);
  const runner = new ActionRunner(root, clock);
  const replayer = new Replayer(
    root,
    domainClass.name,
    runner,
    new Exporter('none', registry, root),
    true,
    warn,
  );
  const report: ReplayReport = { ok: true, snapshotsChecked: 0, actionsReplayed: 0 };
  let agreed = startSeq;
  let next = 1;

  const check = (seq: number): boolean => {
    while (next < snapshots.length && snapshots[next]!.seq <= seq) {
      const snap = snapshots[next++]!;
      if (snap.seq < seq) continue;
      report.snapshotsChecked++;
      if (digestOf(root, registry) !== snapshotInfo(fs, snap.path).digest) {
        const live = loadState(snap.path, registry).root;
        const where = firstDifference(root, live);
        report.ok = false;
        report.divergence = {
          agreedThrough: agreed,
          seq,
          snapshot: snap.path,
          ...(where !== undefined ? { path: where } : {}),
        };
        return false;
      }
      agreed = seq;
    }
    return true;
  };

  const stop = new Error('stop');
  try {
    check(startSeq);
    replayJournal({ fs, dir, afterSeq: startSeq, warn }, (rec) => {
      try {
        replayer.apply(rec);
      } catch (err) {
        if (!isPrevalenceError(err, 'REPLAY_DIVERGED')) throw err;
        report.ok = false;
        report.divergence = { agreedThrough: agreed, seq: rec.seq, message: err.message };
        throw stop;
      }
      report.actionsReplayed++;
      if (!check(rec.seq)) throw stop;
    });
  } catch (err) {
    if (err !== stop) throw err;
  }
  return report;
}
