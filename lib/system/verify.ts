import { createHash } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { types } from 'node:util';
import { isLuxonDateTime } from '../luxon';
import { PrevalenceError, isPrevalenceError } from '../errors';
import { ClassRegistry, globalRegistry } from '../codec/registry';
import type { StorableClass } from '../codec/registry';
import { GraphDecoder, encodeGraph } from '../codec/graph';
import { viewedBytes } from '../codec/slots';
import { ABSENT, firstDifferenceAt, valueAt, type ValueStep } from '../codec/equal';
import {
  listSnapshots,
  noValidSnapshotError,
  readSnapshot,
  SKIP_BODY,
  type SnapshotEntry,
} from '../snapshot/loader';
import { corruptReason } from '../snapshot/format';
import { listJournalFiles, type JournalFile } from '../journal/files';
import { oddSnapshotError, snapshotInfo } from '../snapshot/info';
import { replayJournal } from '../journal/reader';
import { damageFoundBy, type DamageFound } from '../journal/recover';
import { readOnlyFs } from '../fs/readonly';
import type { FileSystem } from '../fs/seam';
import { putBackCopies } from '../journal/replaced';
import { SystemClock, installClock } from '../clock/clock';
import { refusePrivateMembers } from '../clock/private-members';
import { UndoLog } from '../isolation/tracking';
import { descriptorOnChain } from '../isolation/record';
import { ActionRunner, refuseInsideAction } from './runner';
import { Exporter } from './exporter';
import { Replayer } from './replayer';
import { codePrintOf } from './code-print';
import { refuseUnregisteredClass, replayStorabilityFor, storabilityFor } from './storability';
import { resolveVerifyOptions, type ResolvedVerifyOptions } from './options';

/** Where {@link verifyReplay} found the replayed state to differ from the live one. */
export interface ReplayDivergence {
  /** The last action after which replay and live run were known to agree (a snapshot's seq). */
  agreedThrough: number;
  /**
   * The first action after which they differ: pinned to one action when
   * `exact` (an action that ended differently, or the first action after
   * which two more replays of the window disagree about the first differing
   * place); otherwise the end of the window `agreedThrough + 1 ..= seq`.
   */
  seq: number;
  /** The method of action `seq`, when `exact`. */
  method?: string;
  /** True when `seq` names the very action; false when it only ends the window. */
  exact: boolean;
  /** The snapshot whose recorded digest the replayed state failed to match (or undefined for an outcome divergence). */
  snapshot?: string;
  /**
   * The first differing path in the state, e.g. `pages["home"].history[3]`
   * (keys of a plain object held in a field of a class instance, such as the
   * root, in brackets, other properties after a dot, Map values
   * `.get("home")`, Set members `{2}`).
   */
  path?: string;
  /** How the values at `path` differ, the replayed one first, e.g. `"g101" !== "g1"`. */
  difference?: string;
  /**
   * Set when an action ended differently in replay (threw vs completed), or
   * when the snapshot carries another directory seed than the one the replay
   * started from, or with `unknownMethod`, or when only the replay again from
   * a later snapshot, as a restart from it would, differs (see verifyReplay);
   * and when the snapshot the replay
   * differs from (or the next one after an action that ended differently)
   * was written by other code than the class given, saying so and naming the
   * first snapshot this code wrote.
   */
  message?: string;
  /**
   * True when this is no divergence found but a record this code cannot
   * replay: action `seq` calls `method`, which the class given has no action
   * method of (other code wrote the record: a deploy in between renamed,
   * removed or added the method). The actions through `agreedThrough` agree;
   * the ones from `seq` on were not checked. `message` says how to check them.
   */
  unknownMethod?: boolean;
  /**
   * With `unknownMethod`: the snapshot that holds action `seq`, after which
   * this code can check the actions (verifyReplay on a copy of the
   * directory without the snapshots older than it). Absent when no snapshot
   * holds it: an open with this code stops at that record too.
   */
  checkableAfter?: string;
}

/**
 * The result of {@link verifyReplay}: `ok` with no divergence, or not `ok`
 * with the divergence found (`if (!report.ok) report.divergence.seq`).
 */
export type ReplayReport =
  | { ok: true; snapshotsChecked: number; actionsReplayed: number; divergence?: undefined }
  | { ok: false; snapshotsChecked: number; actionsReplayed: number; divergence: ReplayDivergence };

/** The report as it is filled in. */
interface ReportDraft {
  ok: boolean;
  snapshotsChecked: number;
  actionsReplayed: number;
  divergence?: ReplayDivergence;
}

/** Options of {@link verifyReplay}. */
export interface VerifyOptions {
  /** Classes to register besides the domain class and `@persistent` ones. */
  classes?: StorableClass[] | Record<string, StorableClass> | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

function registryFor(
  domainClass: StorableClass,
  classes: ResolvedVerifyOptions['classes'],
): ClassRegistry {
  refusePrivateMembers(domainClass);
  const registry = new ClassRegistry(globalRegistry);
  registry.register(domainClass, globalRegistry.nameOf(domainClass) ?? domainClass.name);
  for (const [cls, name] of classes) {
    refusePrivateMembers(cls);
    registry.register(cls, name);
  }
  return registry;
}

interface LoadedState {
  root: object;
  seq: number;
  seed: string | undefined;
  /** The print of the code that wrote the snapshot (see codePrintOf), when it says. */
  code: string | undefined;
  /** The SHA-256 digest of the snapshot's body as stored, and the one its trailer records. */
  bodyDigest?: string;
  recordedDigest?: string;
}

/**
 * The state in the snapshot `file`; without one (a directory whose snapshots
 * were moved aside, which an open rebuilds from the journal alone) a new
 * instance of the domain class, without a seed, as the open makes it.
 */
function loadState(
  file: string | undefined,
  registry: ClassRegistry,
  domainClass: StorableClass,
): LoadedState {
  if (file === undefined) {
    return {
      root: new (domainClass as new () => object)(),
      seq: 0,
      seed: undefined,
      code: undefined,
    };
  }
  const decoder = new GraphDecoder(registry);
  // The digest of the body as stored (each line with its \n, as the trailer's
  // is taken): verifyAll compares it with the recorded one to find a damaged
  // digest. Not the digest of the decoded state encoded again: that differs
  // from the stored bytes without any damage when this code writes a class
  // under another name than the code that wrote the file (a class renamed,
  // its old name registered for reading), and would be taken for damage.
  const hash = createHash('sha256');
  // As a restore reads it: sizes and CRC-32 (verifyAll compares the digest itself).
  const info = readSnapshot(
    readOnlyFs(),
    file,
    {
      line: (line) => {
        hash.update(line);
        hash.update('\n');
        decoder.push(line);
      },
      part: (bytes) => {
        hash.update(bytes);
        decoder.pushBytes(bytes);
      },
      end: () => {
        hash.update('\n');
        decoder.endBytes();
      },
    },
    undefined,
    undefined,
    false,
  );
  return {
    root: decoder.finish() as object,
    seq: info.seq,
    seed: info.seed,
    code: info.code,
    bodyDigest: hash.digest('hex'),
    recordedDigest: info.digest,
  };
}

function digestOf(root: object, registry: ClassRegistry): string {
  const hash = createHash('sha256');
  encodeGraph(root, registry, (text, more) => {
    hash.update(text);
    if (more !== true) hash.update('\n');
  });
  return hash.digest('hex');
}

function seedMismatch(
  file: string,
  found: string | undefined,
  start: string,
  expected: string | undefined,
): string {
  const name = (seed: string | undefined) => (seed === undefined ? 'no seed' : `seed ${seed}`);
  const why =
    found === undefined || expected === undefined
      ? 'one was written without the seed the other carries (after a rebuild from the journal alone, which draws another seeding, or before seeds existed; or it comes from another directory)'
      : 'the snapshots do not come from one directory';
  return (
    `${file} carries ${name(found)} but ${start}, where the replay started, carries ` +
    `${name(expected)}: ${why}, so replay cannot draw the random values of both`
  );
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
 * The snapshots to check, oldest first, from the one the replay starts at:
 * the oldest intact one the journals still reach (see firstReachable),
 * passing over damaged ones with a warning, as an open passes over them
 * (operator review: a damaged oldest snapshot refused the whole check, and
 * its advice pointed at an older snapshot there was none of). When none of
 * those is intact, the newest intact older one, which an open falls back to
 * as well (the replay then meets the records missing after it). Throws, as
 * an open does, when no snapshot is intact; none when there is none at all.
 */
function startingSnapshots(
  dir: string,
  journals: JournalFile[],
  warn: (message: string) => void,
): SnapshotEntry[] {
  const all = listSnapshots(readOnlyFs(), dir).reverse();
  const reachable = firstReachable(all, journals);
  const damaged: Array<SnapshotEntry & { reason: string }> = [];
  const older = all.slice(0, all.length - reachable.length).reverse();
  const start = firstIntact(reachable, damaged) ?? firstIntact(older, damaged);
  if (start === undefined) {
    if (damaged.length === 0) return [];
    const failures = damaged.sort((a, b) => b.seq - a.seq).map((d) => `${d.path} (${d.reason})`);
    throw noValidSnapshotError(dir, failures, journals[0]?.firstSeq);
  }
  for (const { path: file, reason } of damaged) {
    warn(
      `snapshot ${file} cannot be used (${reason}); verifyReplay passed over it, as an open does, and starts from ${start.path}`,
    );
  }
  const at = reachable.indexOf(start);
  return at < 0 ? [start] : reachable.slice(at);
}

/**
 * The first of `snapshots` that passes a restore's checks (its content's
 * aside), noting the damaged ones before it in `damaged`. Refuses an entry
 * that is no regular file, as an open does.
 */
function firstIntact(
  snapshots: SnapshotEntry[],
  damaged: Array<SnapshotEntry & { reason: string }>,
): SnapshotEntry | undefined {
  for (const snap of snapshots) {
    const odd = oddSnapshotError(readOnlyFs(), snap.path);
    if (odd !== undefined) throw odd;
    try {
      // As a restore reads it: sizes and CRC-32 (a damaged digest alone is warned about later).
      readSnapshot(readOnlyFs(), snap.path, SKIP_BODY, undefined, undefined, false);
      return snap;
    } catch (err) {
      if (!isPrevalenceError(err, 'SNAPSHOT_CORRUPT')) throw err;
      damaged.push({ ...snap, reason: corruptReason(err) });
    }
  }
  return undefined;
}

/** A state restored from a snapshot, ready to replay the journal after it. */
interface ReplayStart {
  root: object;
  seq: number;
  seed: string | undefined;
  replayer: Replayer;
  log: UndoLog;
  /** See LoadedState. */
  bodyDigest: string | undefined;
  recordedDigest: string | undefined;
}

/** The undo logs of the replays verifyReplay runs, retired when it ends (see verifyReplay). */
const replayLogs: UndoLog[] = [];

function startReplay(
  file: string | undefined,
  registry: ClassRegistry,
  domainClass: StorableClass,
  warn: (message: string) => void,
): ReplayStart {
  const { root, seq, seed, code, bodyDigest, recordedDigest } = loadState(
    file,
    registry,
    domainClass,
  );
  // The live run seeded every action with the directory seed its snapshots carry.
  const clock = new SystemClock(seed);
  installClock(root, clock);
  // No storability check: a replay needs none (see PrevalentSystem), but
  // for records other code may have written, as an open runs them.
  const log = new UndoLog();
  // A replay accepts what the live run journaled (see UndoLog.replaying).
  log.replaying = true;
  replayLogs.push(log);
  const storability = storabilityFor(registry);
  // Notes what snapshots do not keep (an unregistered class's instance), as an open does.
  log.replayKindTest = storability.kind;
  const runner = new ActionRunner(root, clock, log);
  const exporter = new Exporter('none', registry, root, log);
  const replayer = new Replayer(root, domainClass.name, runner, exporter, true, warn);
  replayer.otherCode = code !== undefined && code !== codePrintOf(domainClass, registry);
  if (replayer.otherCode) log.replayStoreCheck = replayStorabilityFor(registry);
  return { root, seq, seed, replayer, log, bodyDigest, recordedDigest };
}

/** A short description of what sits at a place: enough to see when an action changes it. */
function fingerprint(value: unknown): string {
  if (value === ABSENT) return 'absent';
  if (typeof value !== 'object' || value === null) {
    return `${typeof value}:${Object.is(value, -0) ? '-0' : String(value)}`;
  }
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const kind = proto?.constructor?.name ?? 'null';
  if (Array.isArray(value)) return `${kind}(${value.length})`;
  if (value instanceof Map || value instanceof Set) return `${kind}(${value.size})`;
  if (value instanceof Date) return `${kind}(${value.getTime()})`;
  if (ArrayBuffer.isView(value)) {
    const bytes = viewedBytes(value);
    return `${kind}:${createHash('sha256').update(bytes).digest('hex')}`;
  }
  // Read as data, never through the object's own toString (a null-prototype
  // object has none, a domain class's may throw or count its calls).
  if (types.isRegExp(value)) {
    const re = value as RegExp;
    return `${kind}:${regExpSource.call(re)}/${regExpFlags.call(re)}@${String(re.lastIndex)}`;
  }
  if (isLuxonDateTime(value)) {
    const dt = value;
    return `${kind}:${dt.toMillis()}:${dt.zoneName ?? ''}:${dt.locale ?? ''}`;
  }
  return `${kind}{${Object.keys(value).join(',')}}`;
}

const regExpSource = Object.getOwnPropertyDescriptor(RegExp.prototype, 'source')!.get!;
const regExpFlags = Object.getOwnPropertyDescriptor(RegExp.prototype, 'flags')!.get!;

/** What sat at a place after one replayed action ('diverged' when it ended unlike the live call). */
interface PlaceStep {
  seq: number;
  method: string;
  seen: string;
}

/** What a window replay needs besides the snapshot it starts from. */
interface WindowContext {
  registry: ClassRegistry;
  domainClass: StorableClass;
  dir: string;
}

/**
 * Replays the actions after the snapshot `from` up to `toSeq` once more,
 * quietly, calling `after(seq, method, diverged)` after each (`diverged`:
 * it ended unlike the live call); stops after `toSeq`, or after an action
 * that diverged. Returns the replayed root.
 */
function replayWindow(
  from: string | undefined,
  toSeq: number,
  ctx: WindowContext,
  after: (seq: number, method: string, diverged: boolean, root: object) => void,
): object {
  const quiet = (): void => {};
  const start = startReplay(from, ctx.registry, ctx.domainClass, quiet);
  const stop = new Error('stop');
  try {
    replayJournal({ fs: readOnlyFs(), dir: ctx.dir, afterSeq: start.seq, warn: quiet }, (rec) => {
      if (rec.seq > toSeq) throw stop;
      let diverged = false;
      try {
        start.replayer.apply(rec);
      } catch (err) {
        if (!isPrevalenceError(err, 'REPLAY_DIVERGED')) throw err;
        diverged = true;
      }
      after(rec.seq, rec.method, diverged, start.root);
      if (diverged || rec.seq === toSeq) throw stop;
    });
  } catch (err) {
    if (err !== stop) throw err;
  }
  return start.root;
}

/** Replays the actions after the snapshot `from` up to `toSeq` again, noting what sits at `at` after each. */
function placeHistory(
  from: string | undefined,
  toSeq: number,
  at: ValueStep[],
  ctx: WindowContext,
): PlaceStep[] {
  const steps: PlaceStep[] = [];
  replayWindow(from, toSeq, ctx, (seq, method, diverged, root) => {
    steps.push({ seq, method, seen: diverged ? 'diverged' : fingerprint(valueAt(root, at)) });
  });
  return steps;
}

/**
 * The action whose effect on the place `at` (where replay and live run
 * were found to differ) is not deterministic: the window after the snapshot
 * `from` is replayed twice more, and the first action after which the two
 * replays disagree about that place is one that draws on something outside
 * the journal (each replay met it in another state). Undefined when the two
 * agree: the outside value was the same in both, and only the window is
 * known.
 */
function pinpoint(
  from: string | undefined,
  fromSeq: number,
  toSeq: number,
  at: ValueStep[],
  ctx: WindowContext,
): { seq: number; method: string } | undefined {
  const first = placeHistory(from, toSeq, at, ctx);
  const second = placeHistory(from, toSeq, at, ctx);
  let parted: PlaceStep | undefined;
  for (let i = 0; i < Math.max(first.length, second.length); i++) {
    const a = first[i];
    const b = second[i];
    if (a === undefined || b === undefined || a.seen !== b.seen || a.seen === 'diverged') {
      parted = (a ?? b)!;
      break;
    }
  }
  if (parted === undefined) return undefined;
  if (parted.seen === 'diverged') return { seq: parted.seq, method: parted.method };
  // The place parted after `parted`, but the states may have parted before,
  // at another place it was then copied from (`this.a = this.seed * 2` after
  // the action that drew the seed). Back from `parted` by doubling steps to
  // the nearest action after which two more replays' whole states agree, then
  // halve what lies between on such pairs: the action named is the last one
  // after which the states part and stay parted up to `parted` (an earlier
  // divergence that healed, a scratch field drawn and cleared, is not it),
  // unless a pair happens to agree in between.
  let lo = fromSeq;
  let hi = { seq: parted.seq, method: parted.method };
  for (let step = 1; parted.seq - step > fromSeq; step *= 2) {
    const at = stateAfter(from, parted.seq - step, ctx);
    if (at.digest === stateAfter(from, parted.seq - step, ctx).digest) {
      lo = parted.seq - step;
      break;
    }
    hi = { seq: parted.seq - step, method: at.method };
  }
  while (hi.seq - lo > 1) {
    const mid = lo + Math.floor((hi.seq - lo) / 2);
    const a = stateAfter(from, mid, ctx);
    const b = stateAfter(from, mid, ctx);
    if (a.digest === b.digest) lo = mid;
    else hi = { seq: mid, method: a.method };
  }
  return hi;
}

/** The digest of the state after replaying the snapshot `from`'s journal up to `toSeq` ('diverged' when an action ended unlike the live call), and that action's method. */
function stateAfter(
  from: string | undefined,
  toSeq: number,
  ctx: WindowContext,
): { digest: string; method: string } {
  let method = '';
  let diverged = false;
  const root = replayWindow(from, toSeq, ctx, (_seq, m, d) => {
    method = m;
    diverged = d;
  });
  // A diverged replay is unlike any other.
  return { digest: diverged ? `diverged ${Math.random()}` : digestOf(root, ctx.registry), method };
}

/**
 * Proves that replay reproduces the live run: restores the oldest intact
 * snapshot in `basedir` that the journals still reach (see `pruneJournals`;
 * damaged ones are passed over with a warning, as an open passes over them,
 * and with none intact it throws the SNAPSHOT_CORRUPT an open gives), replays the
 * journal, and at each newer snapshot compares the digest of the replayed
 * state with the digest the live system recorded. At the first snapshot
 * where they differ it finds the first differing path, then replays the
 * actions since the last snapshot that agreed twice more: the first action
 * after which the two replays disagree about that place is the one that is
 * not deterministic. When every snapshot agreed, the last interval between
 * two snapshots after the start is replayed again from the earlier one, as
 * a restart from it would, which finds actions depending on what no
 * snapshot keeps (see verifyRestart). A record calling a method the class
 * given has no action method of (other code's, across a deploy) stops it
 * with a report that says so (`divergence.unknownMethod`) rather than a
 * divergence found. Writes nothing, and may run while the system is open.
 */
export function verifyReplay(
  basedir: string,
  domainClass: StorableClass,
  options: VerifyOptions = {},
): ReplayReport {
  refuseInsideAction('verifyReplay()', false);
  if (
    typeof domainClass !== 'function' ||
    typeof (domainClass as { prototype?: unknown }).prototype !== 'object'
  ) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `verifyReplay(basedir, domainClass) takes the domain class itself (as initSystem(Wiki, …) does), not ${describeArgument(domainClass)}`,
    );
  }
  if (typeof basedir !== 'string' || basedir === '' || basedir.includes('\0')) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      'verifyReplay(basedir, domainClass) takes the data directory as a non-empty path string (without NUL characters)',
    );
  }
  const ours = replayLogs.length;
  const dir = path.resolve(basedir);
  const kind = entryKindOf(dir);
  if (kind !== 'directory') {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `verifyReplay: ${dir} ${kind === 'missing' ? 'does not exist' : 'is not a directory'}; pass the data directory a system wrote (its basedir)`,
    );
  }
  // Once, not per attempt below.
  warnUnfinishedPutBacks(readOnlyFs(), dir, resolveVerifyOptions(options).warn);
  try {
    // A system open on the directory may prune snapshots and journals while
    // this reads them: a file listed and gone before it was read reads as
    // damage (or ENOENT). A run that failed while the listing changed runs
    // again on the new one.
    for (let attempt = 1; ; attempt++) {
      const before = listingOf(dir);
      try {
        return verifyFrom(dir, domainClass, options);
      } catch (err) {
        if (attempt === LISTING_ATTEMPTS || listingOf(dir) === before) throw err;
      }
    }
  } finally {
    // Objects outside the replayed state that a replay reached (a module
    // constant, an object a class prototype holds) keep tracking proxies
    // its log owns: retired, it no longer makes a system opened later in
    // the process refuse them as another system's.
    for (const log of replayLogs.splice(ours)) log.retire();
  }
}

function describeArgument(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return `a ${typeof value}`;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
    ?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object'
    ? `an instance of it (${name}) or a system object: pass ${name} itself`
    : 'an object';
}

function entryKindOf(dir: string): 'directory' | 'missing' | 'other' {
  try {
    return nodeFs.statSync(dir).isDirectory() ? 'directory' : 'other';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'other';
  }
}

/** Runs of verifyReplay before it gives up on a directory whose files keep changing under it. */
const LISTING_ATTEMPTS = 20;

/** The names of the snapshots and journals in `dir`: pruning changes them. */
function listingOf(dir: string): string {
  const fs = readOnlyFs();
  try {
    return [
      ...listSnapshots(fs, dir).map((s) => s.path),
      ...listJournalFiles(fs, dir).map((j) => j.path),
    ].join('\n');
  } catch {
    return '';
  }
}

/**
 * Warns about put-backs a crash cut short (see finishPutBacks): an open
 * finishes them before it reads the journal, and may then read more records
 * than this, which writes nothing, reads as the files are now.
 */
function warnUnfinishedPutBacks(
  fs: FileSystem,
  dir: string,
  warn: (message: string) => void,
): void {
  const copies = putBackCopies(fs, dir);
  if (copies.length === 0) return;
  warn(
    `${dir} holds ${copies.join(', ')}, left by putting a replaced journal file's records back when a crash cut it short: the next open finishes that before it reads the journal, and may read more records than verifyReplay, which changes nothing, reads now. Open the directory once (and close it), then verify again`,
  );
}

/** verifyReplay of the absolute directory `dir`. */
function verifyFrom(dir: string, domainClass: StorableClass, options: VerifyOptions): ReplayReport {
  const fs = readOnlyFs();
  const { classes, warn } = resolveVerifyOptions(options);
  const registry = registryFor(domainClass, classes);
  const journals = listJournalFiles(fs, dir);
  const snapshots = startingSnapshots(dir, journals, warn);
  if (snapshots[0] === undefined) {
    if (journals.length === 0) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        `${dir} holds neither snapshots nor journals to verify; is it a prevalent data directory?`,
      );
    }
    // As the open does (see loadBase): the journal alone, from a new instance.
    warn(
      `${dir} holds journals but no snapshot: replaying the journal alone from a new ${domainClass.name}, without a directory seed, as an open would. If its snapshots carried one (see docs/FORMAT.md), the live run's random() and uuid() values differed`,
    );
  }
  const report: ReportDraft = { ok: true, snapshotsChecked: 0, actionsReplayed: 0 };
  const ctx: VerifyContext = { dir, domainClass, registry, warn, snapshots, report, agreedAt: [] };
  const stopped = withRootClassCheck(ctx, () => verifyAll(ctx) ?? verifyRestart(ctx));
  // Filled in by verifyAll: `ok` is false exactly when `divergence` is set.
  if (stopped === undefined) return report as ReplayReport;
  // A renamed journal file: renaming it back is the way out, here and for an open that needs its records.
  if (stopped.damage.renameTo !== undefined) throw stopped.error;
  // Damage among records a later snapshot holds: the open never reads them,
  // so the directory opens, but they cannot be checked. Refused all the same
  // (a report would let `ok` pass over damaged records), saying what it means.
  const later = snapshots.find((snap) => snap.seq >= stopped.damage.seq && isIntact(snap.path));
  if (later === undefined) throw stopped.error;
  const foreign = foreignLater(dir, stopped, later);
  if (foreign !== undefined) throw foreign;
  throw new PrevalenceError(
    'JOURNAL_CORRUPT',
    `${stopped.damage.description}. An open reads none of these records while it can load ${later.path}, which holds them, or a newer snapshot (then the directory opens as it is), but verifyReplay cannot check actions ${stopped.agreed + 1} to ${later.seq}. Restore the journal from a backup to check them; to check the actions after them, run verifyReplay on a copy of the directory without the snapshots older than ${path.basename(later.path)}. Nothing was changed.`,
    { cause: stopped.error },
  );
}

/**
 * The error for journal damage followed by the intact snapshot `later` when
 * `later` carries another seed than the snapshot the replay started from:
 * an open refuses to load it (a snapshot from another directory), so the
 * directory does not open as it is, whatever the damage (operator review:
 * two foreign snapshots an earlier version loaded, which then started a
 * journal file after them, were said to open). Undefined when the seeds
 * agree, or one is missing (an open does not compare those).
 */
function foreignLater(
  dir: string,
  stopped: DamageStop,
  later: SnapshotEntry,
): PrevalenceError | undefined {
  const found = seedOf(later.path);
  const start = stopped.startSeed;
  if (found === SEED_UNREADABLE || found === undefined || start === undefined || found === start) {
    return undefined;
  }
  return new PrevalenceError(
    'JOURNAL_CORRUPT',
    `${stopped.damage.description}. The snapshot ${later.path}, which holds these records, carries seed ${found} but ${stopped.startName}, where the replay started, carries seed ${start}: one of the two comes from another directory (a file copied in), so the directory does not open as it is: an open refuses snapshots that carry two seeds (SNAPSHOT_CORRUPT). Move the snapshots that do not belong out of ${dir} (the seed is in the first line of each snapshot file) and run verifyReplay again. Nothing was changed.`,
    { cause: stopped.error },
  );
}

/** True when the snapshot `file` passes every check of a restore but its content's. */
function isIntact(file: string): boolean {
  return damageOf(file) === undefined;
}

/** What is wrong with the snapshot `file` (a restore's checks, not its content's), or undefined. */
function damageOf(file: string): string | undefined {
  try {
    readSnapshot(readOnlyFs(), file, SKIP_BODY);
    return undefined;
  } catch (err) {
    if (isPrevalenceError(err, 'SNAPSHOT_CORRUPT'))
      return err.message.replace(/^SNAPSHOT_CORRUPT: /, '');
    throw err;
  }
}

/**
 * Runs `verify`; an UNKNOWN_CLASS from a snapshot whose stored root class is
 * not the domain class (nor a name it is registered under) is said as it is,
 * as initSystem says it: the directory holds another class's state.
 */
function withRootClassCheck<R>(ctx: VerifyContext, verify: () => R): R {
  try {
    return verify();
  } catch (err) {
    const file = ctx.snapshots[0]?.path;
    if (!isPrevalenceError(err, 'UNKNOWN_CLASS') || file === undefined) throw err;
    let stored: string | undefined;
    try {
      stored = snapshotInfo(readOnlyFs(), file).rootClass;
    } catch {
      throw err;
    }
    if (ctx.registry.byName(stored) === ctx.domainClass) throw err;
    const name = ctx.domainClass.name;
    throw new PrevalenceError(
      'INVALID_OPTION',
      `${ctx.dir} holds the state of class ${stored}, not of ${name}; verify it with that class. If ${name} is that class renamed, keep its stored name: @persistent('${stored}') on the class, or options.classes: { ${stored}: ${name} }`,
      { cause: err },
    );
  }
}

interface VerifyContext {
  dir: string;
  domainClass: StorableClass;
  registry: ClassRegistry;
  warn: (message: string) => void;
  /** The snapshots to check, oldest first; the first is where the replay starts (none: the journal alone). */
  snapshots: SnapshotEntry[];
  report: ReportDraft;
  /** The snapshots after the start the replay agreed with, oldest first (see verifyRestart). */
  agreedAt: SnapshotEntry[];
}

/** Where a replay stopped at journal damage: the last snapshot that agreed, and the damage. */
interface DamageStop {
  agreed: number;
  damage: DamageFound;
  error: unknown;
  /** Where the replay started (a snapshot's path, or the journal alone), and its seed. */
  startName: string;
  startSeed: string | undefined;
}

/**
 * Restores the oldest snapshot, replays the journal after it and checks every
 * later snapshot, filling in the report. Returns where it stopped when the
 * journal is damaged; undefined when it reached the end or a divergence.
 */
function verifyAll(ctx: VerifyContext): DamageStop | undefined {
  const { dir, domainClass, registry, warn, snapshots, report } = ctx;
  const fs = readOnlyFs();
  const startFile = snapshots[0]?.path;
  const {
    root,
    seq: startSeq,
    seed,
    replayer,
    log,
    bodyDigest,
    recordedDigest,
  } = startReplay(startFile, registry, domainClass, warn);
  const startName = startFile ?? 'the journal alone';
  // A restore loads a snapshot whose recorded digest alone is damaged (its
  // CRC-32 holds): so does this, saying so, rather than refuse the directory.
  if (startFile !== undefined && bodyDigest !== recordedDigest) {
    warn(
      `${startFile}: its recorded SHA-256 digest does not match its content, whose CRC-32 holds (the trailer's digest is damaged); its state is used to start from, as a restore uses it, and the next snapshot taken records a good digest`,
    );
  }
  let agreed = startSeq;
  let agreedAt = startFile;
  let next = startFile === undefined ? 0 : 1;

  const diverged = (divergence: ReplayDivergence): false => {
    report.ok = false;
    report.divergence = divergence;
    return false;
  };

  const check = (seq: number): boolean => {
    while (next < snapshots.length && snapshots[next]!.seq <= seq) {
      const snap = snapshots[next++]!;
      if (snap.seq < seq) continue;
      // As an open does, a damaged snapshot is passed over (it would load an older one).
      // An entry that is no regular file is no damage an open passes over: it refuses it, so do we.
      const odd = oddSnapshotError(fs, snap.path);
      if (odd !== undefined) throw odd;
      const damage = damageOf(snap.path);
      if (damage !== undefined) {
        warn(
          `${damage.replace(/\.$/, '')}. verifyReplay passed over it too: the replay was not compared with it`,
        );
        continue;
      }
      report.snapshotsChecked++;
      const info = snapshotInfo(fs, snap.path);
      if (info.seed !== seed) {
        return diverged({
          agreedThrough: agreed,
          seq,
          exact: false,
          snapshot: snap.path,
          message: seedMismatch(snap.path, info.seed, startName, seed),
        });
      }
      // damageOf checked the recorded digest against the snapshot's bytes.
      const stored = storedStateDiffering(root, snap.path, info.digest, ctx);
      if (stored !== undefined) {
        const where = firstDifferenceAt(root, stored);
        const culprit =
          where && pinpoint(agreedAt, agreed, seq, where.at, { registry, domainClass, dir });
        const note = otherCodeNote(ctx, snap, info.code);
        return diverged({
          agreedThrough: agreed,
          seq: culprit?.seq ?? seq,
          ...(culprit ? { method: culprit.method } : {}),
          exact: culprit !== undefined,
          snapshot: snap.path,
          ...(where ? { path: where.path, difference: where.reason } : {}),
          ...(note === undefined ? {} : { message: note }),
        });
      }
      agreed = seq;
      agreedAt = snap.path;
      ctx.agreedAt.push(snap);
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
        if (isPrevalenceError(err, 'UNKNOWN_METHOD')) {
          diverged(unknownMethod(ctx, rec, agreed));
          throw stop;
        }
        if (!isPrevalenceError(err, 'REPLAY_DIVERGED')) throw err;
        const holder = holderOf(ctx, rec.seq);
        const note =
          holder && otherCodeNote(ctx, holder, snapshotInfo(readOnlyFs(), holder.path).code);
        diverged({
          agreedThrough: agreed,
          seq: rec.seq,
          method: rec.method,
          exact: true,
          message: note === undefined ? err.message : `${err.message}. ${note}`,
        });
        throw stop;
      }
      report.actionsReplayed++;
      if (!check(rec.seq)) throw stop;
    });
  } catch (err) {
    if (err === stop) return undefined;
    const damage = damageFoundBy(err);
    if (damage === undefined) throw err;
    return { agreed, damage, error: err, startName, startSeed: seed };
  }
  // The journal records calls, not classes: a replayed action may have
  // stored an instance of a class this code does not register, which no
  // later snapshot showed. The open refuses such a state (UNKNOWN_CLASS); so
  // does this. A state rebuilt from the journal alone was not looked at either.
  if (log.replayMetUnkept || (startFile === undefined && report.actionsReplayed > 0)) {
    refuseUnregisteredClass(root, registry, VERIFY_AGAIN);
  }
  // Snapshots past the journal's end are not replayed to, but an open would
  // load the newest: one from another directory must not pass unseen.
  for (const snap of snapshots.slice(next)) {
    const found = seedOf(snap.path);
    if (found !== SEED_UNREADABLE && found !== seed) {
      diverged({
        agreedThrough: agreed,
        seq: snap.seq,
        exact: false,
        snapshot: snap.path,
        message: seedMismatch(snap.path, found, startName, seed),
      });
      break;
    }
  }
  return undefined;
}

/**
 * The state of snapshot `file` (whose recorded digest is `recorded`) when it
 * differs from the replayed state `root`, else undefined. The recorded digest
 * is the one of the snapshot's bytes; the replayed state is encoded by this
 * code, which may write a class under another name than the code that wrote
 * the snapshot did (a class renamed, its old name registered for reading):
 * when the digests differ, the snapshot's state is encoded by this code too,
 * and the states differ when those encodings do.
 */
function storedStateDiffering(
  root: object,
  file: string,
  recorded: string | undefined,
  ctx: VerifyContext,
): object | undefined {
  const replayed = replayedDigest(root, ctx.registry);
  if (replayed === recorded) return undefined;
  const stored = loadState(file, ctx.registry, ctx.domainClass).root;
  return digestOf(stored, ctx.registry) === replayed ? undefined : stored;
}

/**
 * After a replay that agreed with every snapshot: the last interval between
 * two of them replayed again from the earlier one, as a restart from it
 * would. The replay from the oldest snapshot runs in one process, carrying
 * whatever the actions keep outside the state (a module variable, a static
 * field, a memo in a non-enumerable property) as a live process that never
 * restarted did; a restart from a later snapshot starts without it, and is
 * what the next open does. A difference at the later snapshot is reported
 * with `exact: false` and a message saying so. Only the last interval: each
 * one costs a snapshot load, and the one before the newest snapshot stands
 * for the restarts to come. Returns undefined (a DamageStop is verifyAll's).
 */
function verifyRestart(ctx: VerifyContext): undefined {
  const { agreedAt, report, dir, warn } = ctx;
  if (!report.ok || agreedAt.length < 2) return undefined;
  const from = agreedAt[agreedAt.length - 2]!;
  const to = agreedAt[agreedAt.length - 1]!;
  const { root, replayer } = startReplay(from.path, ctx.registry, ctx.domainClass, warn);
  const restartNote = (what: string): string =>
    `replayed again from ${from.path}, as a restart from it would (in this process, after the replay from the oldest snapshot, which agreed with ${path.basename(to.path)}), ${what}: an action between them depends on something a snapshot does not keep (a module-level variable or a static field an action changes, a value kept in a non-enumerable property, a cache), so a restart from ${path.basename(from.path)} gives another state than the live run. Keep such values in enumerable fields of the state`;
  const stop = new Error('stop');
  try {
    replayJournal({ fs: readOnlyFs(), dir, afterSeq: from.seq, warn }, (rec) => {
      try {
        replayer.apply(rec);
      } catch (err) {
        if (!isPrevalenceError(err, 'REPLAY_DIVERGED')) throw err;
        report.ok = false;
        report.divergence = {
          agreedThrough: from.seq,
          seq: rec.seq,
          method: rec.method,
          exact: true,
          message: restartNote(
            `action ${rec.seq} (${rec.method}) ended otherwise (${err.message})`,
          ),
        };
        throw stop;
      }
      if (rec.seq < to.seq) return;
      const stored = storedStateDiffering(
        root,
        to.path,
        snapshotInfo(readOnlyFs(), to.path).digest,
        ctx,
      );
      if (stored !== undefined) {
        const where = firstDifferenceAt(root, stored);
        report.ok = false;
        report.divergence = {
          agreedThrough: from.seq,
          seq: to.seq,
          exact: false,
          snapshot: to.path,
          ...(where ? { path: where.path, difference: where.reason } : {}),
          message: restartNote(`the state differs from ${to.path}`),
        };
      }
      throw stop;
    });
  } catch (err) {
    if (err !== stop) throw err;
  }
  return undefined;
}

const SEED_UNREADABLE = Symbol('unreadable');

/** What to do once an unregistered class is registered (see refuseUnregisteredClass). */
const VERIFY_AGAIN = 'run verifyReplay again';

/**
 * The digest of the replayed state `root`. A replayed action may have stored
 * an instance of a class this code does not register (the journal records
 * calls, not classes): UNKNOWN_CLASS naming it, as the open says it, rather
 * than the snapshot encoding's NOT_SERIALIZABLE.
 */
function replayedDigest(root: object, registry: ClassRegistry): string {
  try {
    return digestOf(root, registry);
  } catch (err) {
    if (isPrevalenceError(err, 'NOT_SERIALIZABLE')) {
      refuseUnregisteredClass(root, registry, VERIFY_AGAIN);
    }
    throw err;
  }
}

/** The first intact snapshot that holds action `seq` (its seq is `seq` or later), if any. */
function holderOf(ctx: VerifyContext, seq: number): SnapshotEntry | undefined {
  return ctx.snapshots.find((snap) => snap.seq >= seq && isIntact(snap.path));
}

/**
 * For a divergence found at (or before) the snapshot `snap`, written by the
 * code whose print is `code`: when that is other code than the code given, a
 * note that the actions before it ran with that code, so what a deploy
 * changed in them shows as a divergence, and how to check the actions this
 * code ran (from the first snapshot it wrote). Undefined when it is the same
 * code, or the snapshot does not say.
 */
function otherCodeNote(
  ctx: VerifyContext,
  snap: SnapshotEntry,
  code: string | undefined,
): string | undefined {
  const thisCode = codePrintOf(ctx.domainClass, ctx.registry);
  if (code === undefined || code === thisCode) return undefined;
  const name = ctx.domainClass.name || 'domain class';
  const own = ctx.snapshots.find(
    (later) =>
      later.seq > snap.seq &&
      isIntact(later.path) &&
      snapshotInfo(readOnlyFs(), later.path).code === thisCode,
  );
  const check =
    own === undefined
      ? 'No snapshot in the directory was written by this code yet: take one with it (takeSnapshot()), then run verifyReplay on a copy of the directory without the snapshots older than that one'
      : `To check the actions this code ran, run verifyReplay on a copy of the directory without the snapshots older than ${path.basename(own.path)} (the first this code wrote), or once pruneSnapshots and pruneJournals have dropped them`;
  return `${path.basename(snap.path)} was written by other code than the ${name} given (its code print differs: docs/FORMAT.md, code): the actions before it ran with that code, so what a deploy changed in them shows here as a divergence, and is one only if that code was meant to do the same. ${check}.`;
}

/**
 * The report of a record that calls a method the class given has no action
 * method of: no divergence found, but what this code cannot check (the
 * records of other code, across a deploy that renamed, removed or added the
 * method), saying which actions and how to check them.
 */
function unknownMethod(
  ctx: VerifyContext,
  rec: { seq: number; method: string },
  agreed: number,
): ReplayDivergence {
  const name = ctx.domainClass.name;
  const readonly = hasMethodValue(ctx.domainClass, rec.method) ? ' (it is @readonly in it)' : '';
  const holder = holderOf(ctx, rec.seq);
  const held =
    holder === undefined ? '' : ` (to ${holder.seq}, which ${path.basename(holder.path)} holds)`;
  const after =
    holder === undefined
      ? ` No snapshot holds it, so an open with this code stops at it too (UNKNOWN_METHOD): open the directory with the code that wrote it, call takeSnapshot() and close it, then deploy this code (or restore the method).`
      : ` To check the actions after ${holder.seq} with this code, run verifyReplay on a copy of the directory without the snapshots older than ${path.basename(holder.path)}, or once pruneJournals has dropped the journals before it (an open with this code starts from that snapshot or a newer one, and never replays this record).`;
  return {
    agreedThrough: agreed,
    seq: rec.seq,
    method: rec.method,
    exact: true,
    unknownMethod: true,
    ...(holder === undefined ? {} : { checkableAfter: holder.path }),
    message:
      `not checked: action ${rec.seq} calls ${name}.${rec.method}, which is no action method of the ${name} given${readonly}, so other code wrote the record (a deploy since, or before, renamed, removed or added the method). No divergence was found through action ${agreed}, and verifyReplay stopped at action ${rec.seq}: the actions from there on were not checked. To check them${held}, run verifyReplay with the code that wrote them.` +
      after,
  };
}

/** True when a prototype of `cls` holds a function under `name` (read as data: no getter runs). */
function hasMethodValue(cls: StorableClass, name: string): boolean {
  return typeof descriptorOnChain(cls.prototype as object, name)?.value === 'function';
}

/**
 * The seed in the header of the snapshot `file`; SEED_UNREADABLE when it is
 * damaged (an open skips it). Throws for an entry that is no regular file.
 */
function seedOf(file: string): string | undefined | typeof SEED_UNREADABLE {
  // An entry that is no regular file is no damage an open passes over: it refuses it, so do we.
  const odd = oddSnapshotError(readOnlyFs(), file);
  if (odd !== undefined) throw odd;
  try {
    return snapshotInfo(readOnlyFs(), file).seed;
  } catch (err) {
    if (isPrevalenceError(err, 'SNAPSHOT_CORRUPT')) return SEED_UNREADABLE;
    throw err;
  }
}
