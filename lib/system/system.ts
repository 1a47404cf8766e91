import type { FileSystem } from '../fs/seam';
import { PrevalenceError, isPrevalenceError } from '../errors';
import { hasFlag } from '../flags';
import { ClassRegistry, globalRegistry, type StorableClass } from '../codec/registry';
import { trackingToRaw } from '../isolation/registry';
import { allPrimitive, decodeArgs, encodeArgs } from '../codec/tree';
import { stringifyArgs } from '../codec/json';
import { Replayer } from './replayer';
import { codePrintOf } from './code-print';
import { encodeGraph } from '../codec/graph';
import { SystemClock, installClock } from '../clock/clock';
import type { DirectorySeed } from '../clock/seed';
import {
  constructionOutsideWriteWarning,
  constructionWarning,
  outsideWriteWarnings,
  calleeWarnings,
  validateDomainClass,
} from '../clock/validate';
import { refusePrivateMembers } from '../clock/private-members';
import { JournalWriter } from '../journal/writer';
import { replayJournal } from '../journal/reader';
import type { JournalRecord } from '../journal/reader';
import { RECORD_VERSION } from '../journal/record';
import { WRITE_BUFFER_BYTES, removeUnfinishedSnapshots, writeSnapshot } from '../snapshot/writer';
import { forgetRecentParent, rootView } from '../isolation/views';
import { adoptState, UndoLog } from '../isolation/tracking';
import { checkInitialState } from '../isolation/unwrap';
import {
  ActionRunner,
  activeAction,
  refuseInsideAction,
  type DomainMethod,
  type RunnerFlags,
} from './runner';
import { DirectoryLock } from './lock';
import { resolveOptions } from './options';
import {
  checkConstructedDomain,
  constructDomain,
  domainClassOf,
  thenable,
  thenableWarning,
  thenOwner,
  droppedDecorators,
} from './domain-class';
import { openBasedir } from './basedir';
import { DataDirPlace } from './place';
import { listJournalFiles, unshareJournalFiles } from '../journal/files';
import { finishPutBacks } from '../journal/replaced';
import { asideName, asideStamp } from '../journal/recover';
import type { ResolvedOptions, SystemOptions } from './options';
import { loadBase, type RestoreBase } from './restore';
import { listSnapshots } from '../snapshot/loader';
import { BACKUP_TEMP_SUFFIX, snapshotFileName } from '../snapshot/format';
import { snapshotInfo } from '../snapshot/info';
import { GoodSnapshots, pruneJournals, pruneSnapshots } from './prune';
import { backupDirOf } from './backup-dir';
import { ClosedSystem, closedError } from './closed';
import { closedRoot, Exporter, isOpenRoot, isSystemObject, uncopiedResult } from './exporter';
import { emptiable, firstStateFor, stateHandedOver } from './handed-over';
import { refuseUnregisteredClass, replayStorabilityFor, storabilityFor } from './storability';
import type { Storability } from '../isolation/undo';

/**
 * Per warning function: the stored classes whose construction it was told
 * about (see #warnReplayHazards). The default warning
 * function is one for the process; an onWarning of the program's own gets a
 * guard of its own at every open.
 */
const warnedConstructions = new WeakMap<(message: string) => void, WeakSet<object>>();

/** Per warning function: the root classes whose actions' writes outside the state it was told about. */
const warnedOutsideWrites = new WeakMap<(message: string) => void, WeakSet<object>>();

/** The classes `warn` was told about in `told` (made on first use). */
function toldBy(
  told: WeakMap<(message: string) => void, WeakSet<object>>,
  warn: (message: string) => void,
): WeakSet<object> {
  let classes = told.get(warn);
  if (classes === undefined) told.set(warn, (classes = new WeakSet()));
  return classes;
}

/** The methods validation and the outside-write warning leave alone: @readonly ones run as queries. */
const isMarkedReadonly = (_name: string, fn: object): boolean => hasFlag(fn, 'readonly');

/** The root classes of the systems opened in this process (see #warnReplayHazards). */
const rootClasses = new WeakSet<object>();
/**
 * INVALID_OPTION when Node's permission model is on and this Node refuses
 * fsync and fdatasync under it (Node 20 does, with ERR_ACCESS_DENIED):
 * nothing could be made durable, and the first snapshot or fsync would fail
 * with advice about the disk (deployment review). Probed with a descriptor
 * no process has, which gives EBADF where the call is allowed.
 */
function refuseWithoutFsync(fs: FileSystem): void {
  if (typeof (process as { permission?: unknown }).permission !== 'object') return;
  try {
    // Through the seam: one of the program's own that does not sync through node:fs passes.
    fs.fdatasyncSync(0x7fffffff);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_ACCESS_DENIED') return;
    throw new PrevalenceError(
      'INVALID_OPTION',
      `Node's permission model is on (--experimental-permission), and this Node refuses fdatasync under it (${(err as Error).message}): without it no action could be made durable. Run the process without the permission model`,
      { cause: err },
    );
  }
}

/**
 * A new directory's first snapshot that could not be written, said as what
 * it is: the open failed and nothing is stored (the writer's own advice, to
 * take the snapshot again, is for a running system). A name too long for
 * the file system is the basedir's fault: INVALID_OPTION (deployment review).
 */
function firstSnapshotFailed(err: unknown, dir: string): unknown {
  if (!isPrevalenceError(err, 'SNAPSHOT_WRITE_FAILED')) return err;
  const cause = err.cause as NodeJS.ErrnoException | undefined;
  const reason = cause instanceof Error ? cause.message : err.message;
  if (cause?.code === 'ENAMETOOLONG') {
    return new PrevalenceError(
      'INVALID_OPTION',
      `the basedir ${dir} is too long for the names of its data files (${reason}): choose a shorter path`,
      { cause },
    );
  }
  return new PrevalenceError(
    'SNAPSHOT_WRITE_FAILED',
    `the new data directory ${dir} could not be set up: its first snapshot could not be written (${reason}), so nothing is stored and the open failed. Fix the cause (free disk space, the process's open-file or file-size limit) and open again`,
    { cause },
  );
}

/** Root classes whose overrides without a base method's decorators were warned about (once per process). */
const warnedOverrides = new WeakSet<object>();

/** After this many calls of an action that all changed nothing, a warning suggests @readonly. */
const UNCHANGED_CALLS_WARNING = 1000;
/** The count of an action that changed something once, or was warned about: no longer counted. */
const DONE_COUNTING = -1;

/** An automatic snapshot that holds the process longer than this (and half its interval) is warned about. */
const SLOW_SNAPSHOT_MS = 250;
/** How often an open system checks that its journal file is still under its name (see #startNameWatch). */
const NAME_WATCH_MS = 1000;

/**
 * A newest recorded action time (or snapshot time) further than this ahead
 * of the clock at open is warned about: every action gets that time until
 * the clock passes it (see #warnTimeAhead).
 */
const TIME_AHEAD_WARNING_MS = 60_000;

/**
 * `ms` since 1970 as an ISO time, for a message; as a number past the range
 * a Date holds (a recorded ts may be any safe integer: a hand-made record's,
 * whose RangeError refused an open that worked before, lock kept: review).
 */
function instantText(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `${ms} ms after 1970` : date.toISOString();
}

/** `ms` (a minute or more) in whole minutes, hours or days, for a message. */
function roughDuration(ms: number): string {
  const [amount, unit] =
    ms < 2 * 3_600_000
      ? [Math.round(ms / 60_000), 'minute']
      : ms < 2 * 86_400_000
        ? [Math.round(ms / 3_600_000), 'hour']
        : [Math.round(ms / 86_400_000), 'day'];
  return `about ${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/**
 * The most arguments an action call may have. A replay applies them in one
 * call too, from another stack depth; near V8's limit (about 100k on a
 * default stack) the live call could overflow where the replay does not, or
 * the reverse. Far below it, nothing a request spreads into a call
 * (`wiki.addTags(id, ...body.tags)`) reaches that band.
 */
const MAX_ACTION_ARGUMENTS = 10_000;

function tooManyArguments(name: string, count: number): PrevalenceError {
  return new PrevalenceError(
    'NOT_SERIALIZABLE',
    `${name}() was called with ${count} arguments; an action takes at most ${MAX_ACTION_ARGUMENTS} (a call with that many would fail or not depending on the stack, live and in replay differently): pass them as one array. Nothing was run or written`,
  );
}

/**
 * The journal text of an action's encoded arguments; NOT_SERIALIZABLE when
 * it would pass V8's longest string (escaping can make a string of control
 * characters six times longer), instead of a bare RangeError.
 */
function argsText(name: string, encoded: unknown[]): string {
  try {
    return stringifyArgs(encoded);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new PrevalenceError(
      'NOT_SERIALIZABLE',
      `the arguments of ${name}() are too long to write as one journal record (${err.message}): pass large data in smaller pieces over several actions. Nothing was run or written`,
      { cause: err },
    );
  }
}

/**
 * One open prevalent system: the restored state, its journal, the directory
 * lock and the controls. The system proxy (proxy.ts) is its only caller.
 */
export class PrevalentSystem<T extends object> {
  readonly root: T;
  /** The domain class (action methods added to it later are checked on first use). */
  readonly domainClass: StorableClass;
  readonly opts: ResolvedOptions;
  readonly #givenBasedir: string;
  readonly registry: ClassRegistry;
  readonly rootView: T;
  readonly exporter: Exporter;
  readonly #rootClass: string;
  // Carried into every snapshot header: replay from any snapshot must seed
  // each action's generator as the live run did. Undefined (a directory from
  // before seeds) stays undefined, so such a directory never changes seeding.
  readonly #seed: DirectorySeed | undefined;
  /** The print of this process's domain code, written into every snapshot (see codePrintOf). */
  readonly #code: string;
  readonly #runner: ActionRunner;
  readonly #lock: DirectoryLock;
  /** Whether basedir still leads to the directory locked at open (asked before writing there by path). */
  readonly #place: DataDirPlace;
  readonly #replayer: Replayer;
  #journal!: JournalWriter;
  #seq = 0;
  #lastTs = 0;
  #snapshotSeq = 0;
  /** The newest two good snapshots: the older is pruning's fallback. */
  readonly #goodSnapshots = new GoodSnapshots();
  /** Per action name: how many calls changed nothing so far, or DONE_COUNTING (see #noteActionUse). */
  readonly #unchangedCalls = new Map<string, number>();
  /**
   * What the system is in the middle of, said as "journaling add()" (from
   * an action's arguments' encoding to its result's export) or "writing a
   * snapshot": a call made on the system from code that runs inside it is
   * refused (see #refuseWhileBusy).
   */
  #busy: string | undefined = undefined;
  /** A warning an action call gave, passed on once its journaling ended. */
  #pendingWarning: string | undefined = undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The runner's undo log, the owner of this state's tracking proxies (retired at close). */
  #undoLog: UndoLog | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The timer of #startNameWatch. */
  #nameWatch: NodeJS.Timeout | undefined;
  /**
   * Called once at close() with what answers for the closed system: the
   * system proxy swaps to it, so a system object the program still holds
   * lets go of the state.
   */
  onClosed: ((closed: ClosedSystem) => void) | undefined;
  /**
   * The object initSystem returned for this system (set by the proxy): an
   * action returning the root itself (a fluent `return this`) hands it out,
   * as plain JavaScript would the object the method was called on, so a
   * chained call is an action too.
   */
  systemObject: object | undefined;

  /** The instance given to initSystem (undefined when given the class): see handed-over.ts. */
  readonly given: object | undefined;

  private constructor(domain: T | (new () => T), options: string | SystemOptions | undefined) {
    refuseInsideAction('initSystem()', false);
    let handedOver = false;
    if (typeof domain === 'object' && domain !== null) {
      this.given = domain;
      // Given to initSystem before: it stands for that system's state.
      const state = stateHandedOver(domain) as T | undefined;
      if (state !== undefined) domain = state;
      handedOver = state !== undefined;
    }
    if (typeof domain === 'object' && domain !== null && isSystemObject(domain)) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        'this is a system object initSystem returned, not a domain instance: its state belongs to that system; pass a new instance of the domain class, or the class itself',
      );
    }
    const cls = domainClassOf(domain);
    if (typeof domain === 'object' && isOpenRoot(domain)) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        handedOver
          ? `this ${cls.name || 'domain'} instance was given to initSystem before, and stands for the state of that system, which is still open: two systems on one state would each journal only their own calls; keep using that system (the instance answers as it does), close it first, or pass a new instance (or the class) to initSystem`
          : `this ${cls.name || 'domain'} instance is already the state of an open system: two systems on one object would each journal only their own calls; pass a new instance (or the class) to initSystem, or close the other system first`,
      );
    }
    // Checked before anything is opened: handOver could not give it the new
    // state's fields, and would fail with the new system open and unreachable.
    if (handedOver && !emptiable(this.given!)) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        `this ${cls.name || 'domain'} instance was given to initSystem before, and has been made non-extensible or given a non-configurable property since (Object.preventExtensions, seal, freeze, defineProperty), so it cannot answer for a new system: open the directory of the system it was given to again (with the class), or pass a new instance (or the class) to initSystem`,
      );
    }
    this.domainClass = cls;
    this.#rootClass = globalRegistry.nameOf(cls) ?? cls.name;
    this.opts = resolveOptions(options, cls, globalRegistry.nameOf(cls));
    refuseWithoutFsync(this.opts.fs);
    // A then method: refused for a new directory, before anything touches
    // the disk; a directory holding state opens as before (see thenable).
    const thenProto = thenOwner(cls);
    const holdsState = thenProto !== undefined && holdsStateFiles(this.opts);
    if (thenProto !== undefined && !holdsState) throw thenable(cls, thenProto);
    // @persistent classes were checked when decorated.
    refusePrivateMembers(cls);
    for (const [extra] of this.opts.classes) refusePrivateMembers(extra);
    this.registry = new ClassRegistry(globalRegistry);
    this.registry.register(cls, this.#rootClass);
    for (const [extra, name] of this.opts.classes) this.registry.register(extra, name);
    // Unmarked queries (toString, symbol-keyed methods) are checked like
    // actions: an action may call them through `this`, as part of itself.
    validateDomainClass(cls, isMarkedReadonly);
    this.#code = codePrintOf(cls, this.registry);

    this.#givenBasedir = this.opts.basedir;
    const opened = openBasedir(this.opts);
    this.#lock = opened.lock;
    // Undefined while the open has not made the writer yet.
    this.#place = new DataDirPlace(opened.dir, opened.lock.identity, () => this.#journal?.fd);
    this.opts = { ...this.opts, basedir: opened.dir };
    try {
      // Before anything reads the journal: a crash may have cut a put-back short.
      finishPutBacks(this.opts.fs, this.opts.basedir, this.opts.warn);
      unshareJournalFiles(this.opts.fs, this.opts.basedir, this.opts.warn);
      const base = this.#loadBase(domain);
      if (!(base.root instanceof cls)) throw this.#otherRootClass();
      this.root = base.root;
      this.rootView = rootView(this.root);
      // One undo log for the system's life: the runner records into it, and
      // the tracking proxies of this state know it as their owner.
      const log = new UndoLog();
      log.root = this.root;
      this.#undoLog = log;
      // An instance a closed system had: its proxies answer to this system now.
      adoptState(this.root, log);
      this.exporter = new Exporter(this.opts.isolation, this.registry, this.root, log);
      this.#seed = base.seed;
      const clock = new SystemClock(base.seed);
      installClock(this.root, clock);
      this.#runner = new ActionRunner(this.root, clock, log);
      this.#replayer = new Replayer(
        this.root,
        this.#rootClass,
        this.#runner,
        this.exporter,
        this.opts.strictReplay,
        this.opts.warn,
      );
      const storability = storabilityFor(this.registry);
      // Records written by other code (a deploy without a snapshot first) were
      // checked by that code only: their replay runs the live checks.
      this.#replayer.otherCode = base.code !== undefined && base.code !== this.#code;
      this.#restore(base, storability);
      // Live actions only: a journaled action passed the check, so a replay needs none.
      log.storability = storability;
    } catch (err) {
      // The instance may be given to another system: its proxies must not stay this one's.
      this.#undoLog?.retire();
      this.#lock.release();
      throw err;
    }
    this.#warnReplayHazards();
    if (!warnedOverrides.has(cls)) {
      warnedOverrides.add(cls);
      for (const warning of droppedDecorators(cls)) this.opts.warn(warning);
    }
    this.#warnTimeAhead();
    if (thenProto !== undefined) this.opts.warn(thenableWarning(cls, thenProto, this.opts.basedir));
    // A worker thread that ends with the system open: closed before its lock
    // goes (what was written stays; the last records' fsync is the OS's).
    this.#lock.onThreadExit = () => this.#stop();
    // Only once the open succeeded (a refused open leaves the files as they
    // were); a leftover that cannot be deleted is a warning, not a refusal.
    // Not at a path that leads to another directory by now: the first write
    // says why.
    if (this.#place.moved() === undefined) {
      removeUnfinishedSnapshots(this.opts.fs, this.opts.basedir, this.opts.warn);
    }
    this.#startSnapshotTimer();
    this.#startNameWatch();
  }

  /**
   * Warns about the root class's actions and construction that write
   * outside the state (outsideWriteWarnings, constructionOutsideWriteWarning:
   * a restart from a snapshot runs neither), about its actions that reach a
   * query, getter or static method reading time or randomness
   * (calleeWarnings: a replay gets other values), and about the registered
   * classes whose construction reads time or randomness (see
   * constructionWarning) or writes outside the state: those in
   * options.classes and the @persistent ones, but not this system's root
   * class, whose constructor makes only a first state, which snapshots keep
   * (what it writes outside the state they do not keep), nor a @persistent class
   * it does not list that is the root class of a system opened before in
   * this process (one opened later is not known yet). Once per class and
   * warning function, so the default (process.emitWarning) says it once per
   * process, and an onWarning of the program's own hears it at every open.
   */
  #warnReplayHazards(): void {
    rootClasses.add(this.domainClass);
    const toldRoots = toldBy(warnedOutsideWrites, this.opts.warn);
    if (!toldRoots.has(this.domainClass)) {
      toldRoots.add(this.domainClass);
      let warnings: string[] = [];
      try {
        warnings = [
          ...outsideWriteWarnings(this.domainClass, isMarkedReadonly),
          ...calleeWarnings(this.domainClass, isMarkedReadonly),
        ];
        // The root's constructor runs for a first state, not after a restart from a snapshot.
        const construction = constructionOutsideWriteWarning(this.domainClass);
        if (construction !== undefined) warnings.push(construction);
      } catch {
        // Advice only, as below.
      }
      for (const warning of warnings) this.opts.warn(warning);
    }
    const listed = new Set<object>(this.opts.classes.map(([cls]) => cls));
    const told = toldBy(warnedConstructions, this.opts.warn);
    for (const stored of this.registry.classes()) {
      if (stored === this.domainClass || told.has(stored)) continue;
      // A @persistent class this system does not list may be another system's root.
      if (!listed.has(stored) && rootClasses.has(stored)) continue;
      told.add(stored);
      try {
        const warning = constructionWarning(stored);
        if (warning !== undefined) this.opts.warn(warning);
        const write = constructionOutsideWriteWarning(stored);
        if (write !== undefined) this.opts.warn(write);
      } catch {
        // Advice only: a class whose source cannot be read (a Proxy) is not looked at.
      }
    }
  }

  /**
   * Warns when the newest recorded time (the last action's, or the loaded
   * snapshot's) is more than TIME_AHEAD_WARNING_MS ahead of the clock: an
   * action's time is never earlier than the one before it (FORMAT.md), so
   * after a run with the clock ahead every action gets that time, until
   * the clock passes it, across restarts.
   */
  #warnTimeAhead(): void {
    const now = Date.now();
    const ahead = this.#lastTs - now;
    if (!(ahead > TIME_AHEAD_WARNING_MS)) return;
    const recorded = instantText(this.#lastTs);
    this.opts.warn(
      `the newest action recorded in ${this.opts.basedir} has the time ${recorded}, ${roughDuration(ahead)} ahead of this machine's clock (${instantText(now)}): an action's time is never earlier than the one before it, so every action gets that time (this._clock.now(), today()) until the clock passes it. Either a run wrote it with its clock ahead (a wrong hardware clock or NTP), or this clock is behind: check the clock. The recorded times cannot be moved back in this directory (a backup made with takeSnapshot({ into }) keeps them too); if waiting until ${recorded} will not do, start a new data directory from the state (a domain instance holding it, passed to initSystem)`,
    );
  }

  /** The newest valid snapshot (or a fresh state) to restore from. */
  #loadBase(domain: T | (new () => T)): RestoreBase<T> {
    try {
      return loadBase(this.opts, this.registry, (empty) => {
        // The program's own instance is copied (see handed-over.ts); a state handed over before is ours.
        if (typeof domain !== 'function')
          return domain === this.given ? firstStateFor(domain) : domain;
        const fresh = constructDomain(domain as new () => T);
        checkConstructedDomain(this.domainClass, fresh, empty);
        return fresh;
      });
    } catch (err) {
      // A state of another root class names classes this one never registered.
      // One whose stored root class is registered (a renamed root class
      // mapped with options.classes) is the right state: its own UNKNOWN_CLASS
      // names the class actually missing.
      if (isPrevalenceError(err, 'UNKNOWN_CLASS')) {
        const stored = this.#storedRootClass();
        if (
          stored !== this.#rootClass &&
          (stored === undefined || this.registry.byName(stored) !== this.domainClass)
        ) {
          throw this.#otherRootClass(stored);
        }
      }
      throw err;
    }
  }

  /** The root class named by the newest readable snapshot header, if any. */
  #storedRootClass(): string | undefined {
    for (const { path } of listSnapshots(this.opts.fs, this.opts.basedir)) {
      try {
        return snapshotInfo(this.opts.fs, path).rootClass;
      } catch {
        // a damaged header: restore falls back to the next one too
      }
    }
    return undefined;
  }

  /**
   * A first state refused as NOT_SERIALIZABLE, saying so when the root class
   * extends a class the registry does not know (`extends EventEmitter`) and
   * the refused field is one of the root's own that looks like a library's
   * (a symbol key, a name starting with `_`): that constructor set fields the
   * user never wrote (`[Symbol(shapeMode)]`), and the refusal named only them.
   */
  #namingForeignBase(err: unknown): unknown {
    if (!isPrevalenceError(err, 'NOT_SERIALIZABLE')) return err;
    const detail = err.message.replace(/^NOT_SERIALIZABLE: /, '');
    if (!/^(\[Symbol\(|_[\w$]*[ .[])/.test(detail)) return err;
    const Base = Object.getPrototypeOf(this.domainClass) as unknown;
    if (typeof Base !== 'function' || Base === Function.prototype) return err;
    if (this.registry.nameOf(Base) !== undefined) return err;
    const name = this.domainClass.name || 'the root class';
    const baseName = (Base as { name?: string }).name || 'another class';
    return new PrevalenceError(
      'NOT_SERIALIZABLE',
      `${detail}. ${name} extends ${baseName}, whose constructor may have set it: the root object is stored whole, fields its base class sets too, so a root class should extend only classes whose fields the state can keep; keep the ${baseName} in a non-enumerable property, or outside the state`,
      { cause: err },
    );
  }

  #otherRootClass(stored?: string): PrevalenceError {
    const which = stored === undefined ? 'another class' : `class ${stored}`;
    return new PrevalenceError(
      'INVALID_OPTION',
      `${this.opts.basedir} holds the state of ${which}, not of ${this.#rootClass}; open it with that class or use another basedir. If ${this.#rootClass} is that class renamed, keep its stored name: @persistent('${stored ?? 'OldName'}') on the class, or options.classes: { ${stored ?? 'OldName'}: ${this.#rootClass} }`,
    );
  }

  /**
   * A restore fell back past a damaged snapshot at seq `skipped`, and the
   * journal ends before it: the actions after this state up to `skipped`
   * were only in that snapshot. Refused (SNAPSHOT_CORRUPT), or with
   * `recover: 'truncate'` opened at this state, the damaged snapshots set
   * aside (renamed, not deleted) so the next open does not meet them again.
   */
  #lostWithSnapshot(skipped: number): void {
    const reached = this.#seq;
    const lost = `the newest snapshot (seq ${skipped}) is damaged, and the snapshot before it plus the journal reach only seq ${reached}: actions ${reached + 1} to ${skipped} are in no readable file`;
    if (this.opts.recover !== 'truncate') {
      throw new PrevalenceError(
        'SNAPSHOT_CORRUPT',
        `${lost}. The snapshots and journal records are left as they are. Restore the damaged snapshot from a backup, or reopen with recover: 'truncate' to open with the state at seq ${reached} (the damaged snapshot is renamed aside, not deleted)`,
      );
    }
    const stamp = asideStamp();
    const aside: string[] = [];
    for (const { seq, path } of listSnapshots(this.opts.fs, this.opts.basedir)) {
      if (seq <= reached) continue;
      const to = asideName(this.opts.fs, path, stamp);
      this.opts.fs.renameSync(path, to);
      aside.push(to);
    }
    this.opts.fs.fsyncDirSync(this.opts.basedir);
    this.opts.warn(
      `${lost}; opened with the state at seq ${reached} (recover: 'truncate'), and set aside ${aside.join(', ')}`,
    );
  }

  /** Opens (restoring or creating) the system for `domain`. */
  static open<T extends object>(
    domain: T | (new () => T),
    options?: string | SystemOptions,
  ): PrevalentSystem<T> {
    return new PrevalentSystem(domain, options);
  }

  /** Flags the system proxy's fast query path checks (closed, action running). */
  get flags(): RunnerFlags {
    return this.#runner.flags;
  }

  /** The data directory as given (absolute); the system works in `opts.basedir`, its real path. */
  get basedir(): string {
    refuseInsideAction('basedirAbspath()');
    return this.#givenBasedir;
  }

  #restore(
    base: {
      seq: number;
      ts: number;
      empty: boolean;
      fromSnapshot: boolean;
      skippedSeq?: number | undefined;
    },
    storability: Storability,
  ): void {
    this.#seq = this.#snapshotSeq = base.seq;
    if (base.fromSnapshot) this.#goodSnapshots.note(base.seq);
    this.#lastTs = base.ts;
    const progress = this.opts.onProgress;
    const log = this.#undoLog!;
    log.replaying = true;
    log.replayKindTest = storability.kind;
    if (this.#replayer.otherCode) log.replayStoreCheck = replayStorabilityFor(this.registry);
    try {
      replayJournal(
        {
          fs: this.opts.fs,
          dir: this.opts.basedir,
          afterSeq: base.seq,
          recover: this.opts.recover,
          warn: this.opts.warn,
          onProgress: progress && ((done, total) => progress({ phase: 'journal', done, total })),
        },
        (rec) => this.#replay(rec),
      );
    } finally {
      log.replaying = false;
      log.replayKindTest = undefined;
      log.replayStoreCheck = undefined;
    }
    if (base.skippedSeq !== undefined && this.#seq < base.skippedSeq) {
      this.#lostWithSnapshot(base.skippedSeq);
    }
    // A state rebuilt from the constructor (journals without a snapshot) was not checked either.
    if (log.replayMetUnkept || (!base.fromSnapshot && !base.empty)) {
      refuseUnregisteredClass(this.root, this.registry);
    }
    const movedAway = this.#place.movedWhileOpening();
    if (movedAway !== undefined) throw new PrevalenceError('JOURNAL_WRITE_FAILED', movedAway);
    if (base.empty) {
      try {
        checkInitialState(this.root, isOpenRoot, this.#undoLog!);
        this.#writeSnapshot();
      } catch (err) {
        throw firstSnapshotFailed(this.#namingForeignBase(err), this.opts.basedir);
      }
    }
    this.#journal = JournalWriter.open(
      {
        fs: this.opts.fs,
        dir: this.opts.basedir,
        durability: this.opts.durability,
        batchIntervalMs: this.opts.batchIntervalMs,
        journalMaxBytes: this.opts.journalMaxBytes,
        warn: this.opts.warn,
        dirMoved: () => this.#place.moved(),
      },
      this.#seq + 1,
    );
  }

  #replay(rec: JournalRecord): void {
    // An action that changed the state in the journal is no forgotten @readonly (see #noteActionUse).
    if (this.#replayer.apply(rec)) this.#unchangedCalls.set(rec.method, DONE_COUNTING);
    this.#seq = rec.seq;
    this.#lastTs = rec.ts;
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError(this.opts.basedir);
  }

  /** Runs a journaled action: copy the arguments, run, journal, return. */
  callAction(
    name: string,
    method: DomainMethod,
    args: ArrayLike<unknown>,
    abort: boolean,
    unlocked: boolean,
  ): unknown {
    refuseInsideAction(`${name}()`);
    this.#checkOpen();
    const refusal = this.#journal.refusal();
    if (refusal !== undefined) throw refusal;
    if (args.length > MAX_ACTION_ARGUMENTS) throw tooManyArguments(name, args.length);
    this.#refuseWhileBusy(`${name}()`);
    this.#busy = `journaling ${name}()`;
    try {
      return this.#journaledCall(name, method, args, abort, unlocked);
    } finally {
      this.#busy = undefined;
      const warning = this.#pendingWarning;
      if (warning !== undefined) {
        this.#pendingWarning = undefined;
        this.opts.warn(warning);
      }
    }
  }

  /**
   * Refuses a call made on this system while it is `#busy`: from code that
   * ran inside an action's journaling (as its arguments were read or its
   * result copied: a Proxy's trap, a getter) or inside a snapshot's writing
   * (a fileSystem seam). Outside any action, so the action's own refusal of
   * nested calls does not see it, yet a nested action would take the outer
   * one's sequence number, or land in a snapshot labelled with the seq before
   * it (applied twice on restart).
   */
  #refuseWhileBusy(what: string): void {
    const busy = this.#busy;
    if (busy === undefined) return;
    throw new PrevalenceError(
      'NONDETERMINISTIC_METHOD',
      `${what} called on the system while it was ${busy} (from code that ran inside that, such as a Proxy's trap, a getter or a fileSystem seam): it would take the place of what was being written; make the call after that returns`,
    );
  }

  /** callAction once its checks passed: encode, run, journal, export. */
  #journaledCall(
    name: string,
    method: DomainMethod,
    args: ArrayLike<unknown>,
    abort: boolean,
    unlocked: boolean,
  ): unknown {
    const encoded = encodeArgs(args, this.exporter.liveContext);
    const argsJson = argsText(name, encoded);
    const copy = allPrimitive(encoded) ? encoded : decodeArgs(encoded, this.exporter.replayContext);
    const seq = this.#seq + 1;
    const now = Date.now();
    const ts = now > this.#lastTs ? now : this.#lastTs;
    const out = this.#runner.run(method, copy, seq, ts, abort);
    try {
      const reentered = activeAction.refused;
      if (reentered !== undefined) {
        // It called a system object: a replay could not, whatever it did next.
        activeAction.refused = undefined;
        out.undo.rollback();
        throw reentered;
      }
      if (out.threw && (abort || out.refused)) {
        // Rolled back (a refused action already is): nothing to journal. What
        // the error carries follows the isolation mode all the same.
        out.undo.rollback();
        throw this.exporter.fromThrow(out.error, out.undo);
      }
      // A deep copy can fail (a function or an unregistered class's instance
      // in the result; not for its depth: lib/codec/copy.ts): before the
      // journal, so that failure means nothing was written, as
      // NOT_SERIALIZABLE says elsewhere.
      let copied: unknown;
      // `return this` inside an action returns the root's tracking proxy.
      const result = out.result;
      const returnsRoot =
        !out.threw &&
        typeof result === 'object' &&
        result !== null &&
        (result === this.root || trackingToRaw.get(result) === this.root);
      if (this.exporter.isolation === 'clone' && !out.threw && !returnsRoot) {
        try {
          copied = this.exporter.fromAction(out.result, out.undo);
        } catch (err) {
          out.undo.rollback();
          throw uncopiedResult(name, err, '; the action was rolled back and nothing was written');
        }
      }
      try {
        // An action whose store-time check may have run the program's own code: the replay runs it too.
        const version = out.undo.replayMustCheckStores ? 1 : RECORD_VERSION;
        this.#journal.append(seq, ts, name, argsJson, out.threw, unlocked, version);
      } catch (err) {
        if (this.#journal.lastSeq === seq) {
          // Its record could not be cut off and will replay: memory keeps the action too.
          this.#seq = seq;
          this.#lastTs = ts;
        } else {
          out.undo.rollback();
        }
        throw err;
      }
      this.#seq = seq;
      this.#lastTs = ts;
      out.undo.commitPlaces();
      if (!out.threw) this.#noteActionUse(name, out.undo.size === 0);
      if (out.threw) throw this.exporter.fromThrow(out.error, out.undo);
      if (returnsRoot && this.systemObject !== undefined) return this.systemObject;
      if (this.exporter.isolation === 'clone') return copied;
      try {
        return this.exporter.fromAction(out.result, out.undo);
      } catch (err) {
        // Too late to roll back: the caller must know the action is kept.
        throw resultNotHandedOut(name, seq, err);
      }
    } finally {
      this.#runner.release();
    }
  }

  /**
   * Counts the calls of action `name` that changed nothing in the state, and
   * warns once when its first UNCHANGED_CALLS_WARNING calls since the open
   * all did: most likely a query not marked @readonly, journaled (and in
   * 'always' fsynced) on every call. One that changed anything once, live or
   * in the journal replayed at the open, is not counted.
   */
  #noteActionUse(name: string, unchanged: boolean): void {
    const calls = this.#unchangedCalls.get(name);
    if (calls === DONE_COUNTING) return;
    if (!unchanged) {
      this.#unchangedCalls.set(name, DONE_COUNTING);
      return;
    }
    const count = (calls ?? 0) + 1;
    if (count < UNCHANGED_CALLS_WARNING) {
      this.#unchangedCalls.set(name, count);
      return;
    }
    this.#unchangedCalls.set(name, DONE_COUNTING);
    const cost = this.opts.durability === 'always' ? 'journaled and fsynced' : 'journaled';
    // Given once the call is journaled: an onWarning that calls an action must not be refused.
    this.#pendingWarning = `${name}() ran as an action ${count} times since this open and changed nothing, yet each call was ${cost}: if it only reads, mark it @readonly, and deploy that as any change of an action (README, "Changing the domain code": take a snapshot with this code first, or the journal's records of ${name}() stop the next open with UNKNOWN_METHOD); if it changes the state only now and then, ignore this (warned once)`;
  }

  /** Runs a `@readonly` method: never journaled. */
  callQuery(method: DomainMethod, args: ArrayLike<unknown>): unknown {
    refuseInsideAction(`the query ${method.name}()`);
    this.#checkOpen();
    return this.exporter.runQuery(method, args);
  }

  /** What a property read through the system proxy gives. */
  readProperty(key: PropertyKey): unknown {
    refuseInsideAction(`reading ${String(key)}`);
    // Promise resolution reads `then`: a closed system can still be returned
    // from an async function or passed to Promise.resolve.
    if (key === 'then' && this.#closed) return undefined;
    this.#checkOpen();
    return this.exporter.readProperty(this.root, this.rootView, key);
  }

  takeSnapshot(options?: unknown): string {
    refuseInsideAction('takeSnapshot()');
    this.#checkOpen();
    this.#refuseWhileBusy('takeSnapshot()');
    const into = backupDirOf(options, this.opts.basedir, this.opts.fs);
    this.#busy = 'writing a snapshot';
    const journal: { failure?: unknown } = {};
    let path: string;
    try {
      if (into !== undefined) return this.#snapshotInto(into, undefined, BACKUP_TEMP_SUFFIX);
      path = this.#snapshotHere(journal);
    } catch (err) {
      this.#busy = undefined;
      // The journal's failure refuses every later action: said also when the snapshot failed too.
      if (journal.failure !== undefined) {
        this.opts.warn(
          `takeSnapshot() could not make the journal durable before the snapshot (${(journal.failure as Error).message}), so the system refuses further actions; then the snapshot failed too: ${(err as Error).message}`,
        );
      }
      throw err;
    } finally {
      this.#busy = undefined;
    }
    if (journal.failure !== undefined) {
      this.opts.warn(
        `takeSnapshot() wrote ${path}, which holds every action so far, but the journal could not be made durable before it (${(journal.failure as Error).message})`,
      );
    }
    const fallback = this.#goodSnapshots.fallback;
    const stillHere = (): void =>
      this.#refuseMoved(
        `${snapshotFileName(this.#seq)} was written in the directory this system opened, but pruning stopped`,
      );
    if (this.opts.pruneJournals && fallback !== undefined) {
      pruneJournals(this.opts.fs, this.opts.basedir, fallback, this.opts.warn, stillHere);
    }
    if (this.opts.pruneSnapshots && fallback !== undefined) {
      pruneSnapshots(this.opts.fs, this.opts.basedir, fallback, this.opts.warn, stillHere);
    }
    return path;
  }

  /** takeSnapshot's writing in the data directory: the journal made durable, the snapshot, the rotation. */
  #snapshotHere(journal: { failure?: unknown }): string {
    // The journal first: a snapshot durable before the records it holds
    // would leave a restore that falls back past it (damaged) without them.
    // A failure here (kept in `journal`) refuses later actions; the snapshot
    // is still written, as after any journal failure (DURABILITY.md).
    if (this.#journal.refusal() === undefined) {
      try {
        this.#journal.syncNow();
      } catch (err) {
        journal.failure = err;
      }
    }
    const path = this.#writeSnapshot();
    // After a journal failure, the snapshot is where the acknowledged actions
    // are durable: sync() and close() no longer report them as unknown.
    this.#journal.coveredBySnapshot(this.#seq);
    // After a journal failure no record follows in this process: the
    // snapshot stands (the next open loads it), and rotating would only
    // repeat the failure as if this call were a refused action.
    if (this.#journal.refusal() === undefined) this.#journal.rotate();
    return path;
  }

  /**
   * Throws SNAPSHOT_WRITE_FAILED, saying `done` and why, when basedir no
   * longer leads to the directory this system locked (moved or replaced
   * while open): nothing may be written or deleted at that path, and the
   * system takes no more actions (docs/DURABILITY.md).
   */
  #refuseMoved(done: string): void {
    const moved = this.#place.moved();
    if (moved === undefined) return;
    // Not yet while the open writes the first snapshot (it checked just before).
    this.#journal?.stop(moved);
    throw new PrevalenceError('SNAPSHOT_WRITE_FAILED', `${done}: ${moved}`);
  }

  /** Writes a snapshot of the state into `dir` and returns its path; `beforeRename` and `tempSuffix` as writeSnapshot's. */
  #snapshotInto(dir: string, beforeRename?: () => void, tempSuffix?: string): string {
    return writeSnapshot(
      this.opts.fs,
      dir,
      {
        seq: this.#seq,
        ts: this.#lastTs,
        // The name the body stores the root under: one options.classes gives
        // the root class (a renamed root keeping its old name) is written.
        rootClass: this.registry.nameOf(this.domainClass) ?? this.#rootClass,
        seed: this.#seed,
        code: this.#code,
      },
      (emit) => void encodeGraph(this.root, this.registry, emit),
      WRITE_BUFFER_BYTES,
      beforeRename,
      tempSuffix,
    ).path;
  }

  #writeSnapshot(): string {
    const refuse = (): void => this.#refuseMoved('no snapshot was written');
    refuse();
    const path = this.#snapshotInto(this.opts.basedir, refuse);
    this.#snapshotSeq = this.#seq;
    // A snapshot at the seq of the last one rewrites it: listing that seq
    // twice would make it its own fallback, and pruning would delete the
    // journal the real fallback needs (GoodSnapshots.note skips it).
    this.#goodSnapshots.note(this.#seq);
    return path;
  }

  /**
   * Once a second, between actions: puts the journal's records back under
   * its file's name when another file took it (an editor's save), rather
   * than at the next rotation or close only, so a crash in between loses
   * them no more (DURABILITY.md). Two stat calls; unref'd, so it keeps no
   * process alive.
   */
  #startNameWatch(): void {
    this.#nameWatch = setInterval(() => {
      if (this.#closed || this.#busy) return;
      try {
        this.#journal.keepNameNow();
      } catch (err) {
        // The writer stopped: the next action is refused, saying why.
        this.opts.warn(err instanceof Error ? err.message : String(err));
      }
    }, NAME_WATCH_MS);
    this.#nameWatch.unref();
  }

  #startSnapshotTimer(): void {
    if (this.opts.snapshotIntervalMs <= 0) return;
    // The last seq at which the state itself could not be snapshotted
    // (NOT_SERIALIZABLE): the same state fails the same way, so it is tried
    // (and warned about) again only after an action. I/O failures are retried
    // after 1, 2, 4 … intervals (at most 64), and warned about once until a
    // snapshot succeeds again.
    let failedAt = -1;
    let ioFailures = 0;
    let skip = 0;
    let warnedSlow = false;
    const interval = this.opts.snapshotIntervalMs;
    this.#timer = setInterval(() => {
      const seq = this.#seq;
      if (this.#closed || seq === this.#snapshotSeq || seq === failedAt || this.#journal.failure)
        return;
      if (skip > 0) {
        skip--;
        return;
      }
      try {
        const started = performance.now();
        this.takeSnapshot();
        const took = performance.now() - started;
        if (ioFailures > 0) {
          this.opts.warn(`automatic snapshot succeeded again, after ${ioFailures} failed attempts`);
        }
        // It holds the process: more than half of every interval (and a quarter
        // second, so a slow fsync of a small state is no news) is a stall callers feel.
        if (!warnedSlow && took > Math.max(interval / 2, SLOW_SNAPSHOT_MS)) {
          warnedSlow = true;
          this.opts.warn(
            `an automatic snapshot took ${Math.round(took)} ms, more than half of snapshotIntervalMs (${interval} ms), and holds the process while it runs: raise snapshotIntervalMs (warned once)`,
          );
        }
        ioFailures = 0;
      } catch (err) {
        const message = `automatic snapshot failed: ${(err as Error).message}`;
        if (isPrevalenceError(err, 'NOT_SERIALIZABLE')) {
          failedAt = seq;
          this.opts.warn(message);
          return;
        }
        if (ioFailures === 0) {
          this.opts.warn(
            `${message} (retried less and less often, warned again only once it works)`,
          );
        }
        skip = 2 ** Math.min(ioFailures, 6) - 1;
        ioFailures++;
      }
    }, interval);
    this.#timer.unref();
  }

  sync(): Promise<void> {
    // Thrown, not rejected: an action that does not await would go on live and stop in replay.
    refuseInsideAction('sync()');
    try {
      this.#checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#journal.sync();
  }

  close(): Promise<void> {
    refuseInsideAction('close()');
    this.#refuseWhileBusy('close()');
    // A second call waits for the first: resolving at once would let its
    // caller reopen the directory while the lock is still held.
    if (this.#closing === undefined) {
      this.#closing = this.#close();
      const fields = new Set(Reflect.ownKeys(this.root));
      this.onClosed?.(
        new ClosedSystem(this.#givenBasedir, this.#closing, this.domainClass, fields),
      );
      this.onClosed = undefined;
    }
    return this.#closing;
  }

  /** Refuses every later call (CLOSED) and stops the timer: the part of closing that needs no await. */
  #stop(): void {
    this.#closed = true;
    this.#runner.flags.closed = true;
    closedRoot(this.root);
    this.#undoLog?.retire();
    forgetRecentParent();
    if (this.#timer) clearInterval(this.#timer);
    clearInterval(this.#nameWatch);
  }

  async #close(): Promise<void> {
    this.#stop();
    // Asked while the journal file is open: it tells where the directory is now.
    const moved = this.#place.movedAtClose();
    const at = this.#place.locate();
    try {
      await this.#journal.close();
    } finally {
      this.#lock.release(at);
    }
    if (moved !== undefined) this.opts.warn(moved);
  }
}

/** Whether the data directory holds snapshot or journal files (false where it cannot be read: openBasedir says why). */
function holdsStateFiles(opts: ResolvedOptions): boolean {
  try {
    return (
      listSnapshots(opts.fs, opts.basedir).length > 0 ||
      listJournalFiles(opts.fs, opts.basedir).length > 0
    );
  } catch {
    return false;
  }
}

/**
 * The error for an action whose result could not be handed out after its
 * record was journaled (a getter element of a returned array that throws, a
 * revoked Proxy): the action is kept, so the caller must not take the error
 * for a failed call and make it again.
 */
function resultNotHandedOut(name: string, seq: number, err: unknown): PrevalenceError {
  const cause = err instanceof Error ? err.message : String(err);
  return new PrevalenceError(
    'NOT_SERIALIZABLE',
    `${name}() ran and was journaled (seq ${seq}): its changes are kept and a restart replays them, so do not call it again for this; only its result could not be handed out (${cause}). Return plain data from actions: no getters, no Proxy objects`,
    { cause: err },
  );
}
