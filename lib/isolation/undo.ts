import { PrevalenceError } from '../errors';
import { describeUnstorable, isPrototypeObject } from '../codec/kinds';
import { isArrayIndex } from './kinds';
import { linkTop, recordStep } from './paths';
import { noteElementDefined } from './plain-elements';
import { openRoots, rawOwner } from './registry';
import { isDerivedBytes, refuseSharedBytes, SharedBytes } from './shared-bytes';
import { keyLabel } from './violation';
import { appendOwn, ownList } from './own-array';

/** One recorded change; `undo` puts back what the change overwrote. */
export interface UndoEntry {
  undo(): void;
}

/** See UndoLog.checkedSets. */
export interface CheckedSets {
  walked: Set<object>;
  encodable: Set<object>;
}

/**
 * What the snapshot encoding would refuse, asked where a live action stores
 * a fresh value (the system sets it once the restore is done: it knows the
 * registered classes, and a replay needs no check, since a journaled action
 * passed it).
 */
export interface Storability {
  /** True when an object of this kind (prototype) is kept as itself, its contents aside. */
  kind(value: object, proto: object | null): boolean;
  /**
   * Throws NOT_SERIALIZABLE for what the encodings would refuse in `value`,
   * following their traversal and not looking into objects for which `skip`
   * is true; `where` names the place it is stored.
   */
  check(
    value: unknown,
    where: string,
    skip: (obj: object) => boolean,
    /** Objects checked before in this pass, not looked into again; the call adds those it checks. */
    checked?: Set<object>,
  ): void;
  /**
   * Throws NOT_SERIALIZABLE when own property `key` of `obj` is one the
   * encodings refuse whatever it holds: any symbol-keyed property, an
   * enumerable named property of an array or a built-in, and an enumerable
   * `accessor` (asked only for those); `where` names the write.
   */
  property(obj: object, key: PropertyKey, where: string, accessor: boolean): void;
}

/**
 * The changes one action made to the raw state, in order. Each entry holds
 * only what its change overwrote, so rolling back costs time proportional to
 * what the action changed, never to the size of the state.
 */
const NONE_HIDDEN: ReadonlyArray<readonly [object, string]> = Object.freeze([]);

export class UndoLog {
  // The arrays are reused from action to action and filled up to their
  // counts: emptying an array by setting its length is a runtime call, and
  // most actions leave one or two entries. They have no prototype (see
  // ownList): a setter the program put at an index of Array.prototype would
  // otherwise get every entry, and the raw objects it holds, as the array grows.
  readonly #entries: Array<UndoEntry | undefined> = ownList();
  #entryCount = 0;
  /** Objects whose key order is already saved in this log (made on first use: most actions never delete). */
  #orderSaved: WeakSet<object> | undefined;
  /** Raw objects that got their tracking proxy during this action (made on first use). */
  #trackedNow: WeakSet<object> | undefined;
  /** Of those, the ones reached through a data slot of a state object holding no proxies (see noteReachedClean). */
  #reachedClean: WeakSet<object> | undefined;
  /** Maps and Sets whose whole contents are already saved in this log (made on first use). */
  #contentsSaved: WeakSet<object> | undefined;
  /** Fresh objects stored into the state; re-checked for proxies when tracking ends. */
  readonly #fresh: Array<object | undefined> = ownList();
  #freshCount = 0;
  /** The fresh objects as a set, built when more than a few are asked about (see isFresh). */
  #freshSet: Set<object> | undefined;
  /** How many of #fresh #freshSet holds. */
  #freshSetCount = 0;
  /** Where each fresh object was stored: parent, key, viaMap (three slots per object). */
  readonly #places: unknown[] = ownList();
  /** Objects first reached through the membrane in this action and stored somewhere (moved); re-checked like fresh ones. */
  readonly #moved: Array<object | undefined> = ownList();
  #movedCount = 0;
  // Properties written this action in a form the encodings may refuse (see
  // notePropertyWrite), as target, key and "target is an array or built-in".
  readonly #written: Array<object | PropertyKey | boolean | undefined> = ownList();
  /** Stored properties the action made non-enumerable, as target and key (see noteHidden). */
  #hidden: Array<[object, string]> | undefined;
  #writtenCount = 0;
  #writtenKeys: Map<object, Set<PropertyKey>> | undefined;
  /** Places to record once the action is kept (see notePlace): raw, parent, key, viaMap. */
  readonly #newPlaces: unknown[] = ownList();
  #newPlaceCount = 0;
  /** The objects with bytes the action stored, checked for overlaps (made on first use). */
  #storedBytes: SharedBytes | undefined;
  /**
   * Set when the action used a tracking proxy of another system's state (see
   * refuseForeignUse): the whole action is refused then, even if it caught
   * the error, like a call into a system object.
   */
  refusal: Error | undefined;
  /** The store-time check of fresh values; without it (tests) only what the membrane needs is checked. */
  storability: Storability | undefined;
  /**
   * A restore's test of the kinds of the objects its replayed actions store
   * (the kind test of `storability`): the journal records calls, not
   * classes, so a class the live run registered and this open does not shows
   * only there. It never refuses: `replayMetUnkept` is set when an object was
   * of a kind snapshots do not keep, and the restore then looks for one in the
   * state (one kept only where snapshots do not look is no error).
   */
  replayKindTest: Storability['kind'] | undefined;
  /**
   * In the replay of records other code may have written (see
   * Replayer.otherCode): the store-time checks a live action of this code
   * makes through `storability`, of the properties it writes (a named
   * property of a Map or an array, an accessor, a symbol key) and of the
   * fresh values it stores, whose refusal a record of this code promises
   * its action passed and a changed action can fail. An unregistered class
   * passes it: the restore names that one (UNKNOWN_CLASS).
   */
  replayStoreCheck: Storability | undefined;
  /** Set when a replayed action stored an object `replayKindTest` did not accept (see noteReplayedKind). */
  replayMetUnkept = false;

  /** In a restore, notes `obj`, which a replayed action stored or moved, when snapshots do not keep its kind. */
  noteReplayedKind(obj: object): void {
    const test = this.replayKindTest;
    if (test === undefined) return;
    const proto = Object.getPrototypeOf(obj) as object | null;
    if (proto === Object.prototype || proto === Array.prototype) return;
    if (!test(obj, proto)) this.replayMetUnkept = true;
  }
  /**
   * Set when the system of this log closed: its tracking proxies no longer
   * refuse other systems' actions, since the objects may be given to a new
   * system (an instance passed to initSystem again) whose actions use them.
   */
  retired = false;
  /** The raw root of the system this log records for (set by the system; undefined in unit tests). */
  root: object | undefined;
  /**
   * Set while the log records a replay (a restore, verifyReplay): a replay
   * accepts what the live run journaled, so another system's use of an
   * object (a module-level default both reached) is not refused then.
   */
  replaying = false;
  /**
   * Set while a replay runs the action of a version-2 record (see
   * RECORD_VERSION): every value it stored passed the store-time check in
   * the live run, whose refusal fails a live action whole, so storeValue
   * skips the check. A version-1 record's action may have caught a refusal,
   * and runs the check to end as it ran.
   */
  storesChecked = false;
  /**
   * Set in a live action whose store-time check may have run the program's
   * own code: it read array elements (an element may be a getter) or looked
   * at a value stored where snapshots do not look (a Proxy's traps). Its
   * record is then written as version 1, whose replay runs the check's walk
   * too, so that code runs there as it ran live (the encodings' rules run
   * live only: a getter element is not supported, see README).
   */
  replayMustCheckStores = false;
  /**
   * The objects the store-time checks and the end-of-action check of this
   * action have walked and had the encodings' rules check (see checked):
   * each pass looks into an object once, so a chain built in place
   * (`this.head = { next: this.head }` in a loop), whose every store holds
   * all the values stored before, costs time linear in its length, not its
   * square. What a store-time check skips is still looked at when the action
   * ends. Made on first use.
   */
  #checkedStores: CheckedSets | undefined;
  #checkedEnd: CheckedSets | undefined;
  /** The log of the system that took this closed system's instance (see adopt). */
  adoptedBy: UndoLog | undefined;

  /** The owner this log's proxies answer to now: itself, or the system that adopted its state. */
  resolve(): UndoLog {
    let owner = this.adoptedBy;
    if (owner === undefined) return this;
    while (owner.adoptedBy !== undefined) owner = owner.adoptedBy;
    // A shortcut: an instance passed from system to system (a test suite
    // reusing one) would otherwise make every trap walk, and keep, the
    // logs of all the systems before.
    this.adoptedBy = owner;
    return owner;
  }

  /** Marks the log's system closed (or its open failed) and lets go of what its arrays held. */
  retire(): void {
    this.retired = true;
    // A state object that outlives the system (a module constant an action stored) keeps its log.
    this.root = undefined;
    this.reset();
    this.#entries.length = 0;
    this.#fresh.length = 0;
    this.#places.length = 0;
    this.#moved.length = 0;
    this.#written.length = 0;
    this.#newPlaces.length = 0;
  }

  /** Empties the log for reuse by the next action (internal: beginTracking). */
  reset(): void {
    clearSlots(this.#entries, 0, this.#entryCount);
    clearSlots(this.#fresh, 0, this.#freshCount);
    clearSlots(this.#places, 0, 3 * this.#freshCount);
    clearSlots(this.#moved, 0, this.#movedCount);
    clearSlots(this.#written, 0, 3 * this.#writtenCount);
    this.#writtenCount = 0;
    this.#hidden = undefined;
    this.#writtenKeys = undefined;
    clearSlots(this.#newPlaces, 0, 4 * this.#newPlaceCount);
    this.#newPlaceCount = 0;
    this.#entryCount = 0;
    this.#freshCount = 0;
    this.#freshSet = undefined;
    this.#freshSetCount = 0;
    this.#movedCount = 0;
    this.#orderSaved = undefined;
    this.#contentsSaved = undefined;
    this.#trackedNow = undefined;
    this.#reachedClean = undefined;
    this.#storedBytes = undefined;
    this.refusal = undefined;
    this.replayMustCheckStores = false;
    this.#checkedStores = undefined;
    this.#checkedEnd = undefined;
  }

  /** The objects one pass of checks of this action (its store-time checks, or the end-of-action check) has looked into. */
  checked(pass: 'stores' | 'end'): CheckedSets {
    if (pass === 'stores')
      return (this.#checkedStores ??= { walked: new Set(), encodable: new Set() });
    return (this.#checkedEnd ??= { walked: new Set(), encodable: new Set() });
  }

  /**
   * True for an object this action stored as itself, not through a proxy or
   * a view (see addFresh): read back through `this`, it comes back as
   * itself, not as a tracking proxy (see createTracked). Decided by what
   * the action did alone, so a replay decides the same. An object from
   * outside the state (a module-level default) counts too, even if the
   * state holds it already: README, "State goes through `this` only".
   */
  isFresh(obj: object): boolean {
    const n = this.#freshCount;
    if (n === 0) return false;
    const fresh = this.#fresh;
    // Most actions store one or two values: a scan costs less than a set.
    if (n <= 8) {
      for (let i = 0; i < n; i++) if (fresh[i] === obj) return true;
      return false;
    }
    const set = (this.#freshSet ??= new Set());
    for (let i = this.#freshSetCount; i < n; i++) set.add(fresh[i]!);
    this.#freshSetCount = n;
    return set.has(obj);
  }

  /** Notes that `raw` got its tracking proxy during this action (internal: createTracked). */
  noteTracked(raw: object): void {
    (this.#trackedNow ??= new WeakSet()).add(raw);
  }

  /** True when `raw` got its tracking proxy during this action. */
  trackedDuringAction(raw: object): boolean {
    return this.#trackedNow !== undefined && this.#trackedNow.has(raw);
  }

  /**
   * Notes that `raw`, which got its tracking proxy during this action, was
   * reached through a data slot (an own data property, an array element, a
   * Map entry or Set member) of `parent`, a state object that holds no
   * proxies: the root, one whose proxy was made before this action, or one
   * reached so itself. Such an object holds no proxies either: a state
   * object changes only through its own proxy, which stores raw objects,
   * and what the action stored there that may hold some (a fresh value, one
   * read through a getter) is checked on its own. Stored elsewhere, it needs
   * no walk when the action ends (see mayHoldProxies): `this.head =
   * this.head.next` on a linked list walked the rest of the list every time.
   */
  noteReachedClean(raw: object, parent: object): void {
    // The root holds no proxies when an action starts, even in the first one, which made its proxy.
    if (
      parent !== this.root &&
      this.trackedDuringAction(parent) &&
      !this.#reachedClean?.has(parent)
    )
      return;
    (this.#reachedClean ??= new WeakSet()).add(raw);
  }

  /**
   * Whether `raw`, stored by the action, must be checked again when the
   * action ends (see addMoved): its proxy was made during this action and
   * it was not reached cleanly (see noteReachedClean). The replay of a
   * version-1 record walks every such object, as the version that wrote it did.
   */
  mayHoldProxies(raw: object): boolean {
    if (!this.trackedDuringAction(raw)) return false;
    if (this.replaying && !this.storesChecked) return true;
    return this.#reachedClean === undefined || !this.#reachedClean.has(raw);
  }

  /**
   * Live actions only, when the action ends: notes a typed array, DataView
   * or ArrayBuffer the action stored, and throws NOT_SERIALIZABLE when it
   * shares bytes with a state object it came from or with another one the
   * action stored (see shared-bytes.ts).
   */
  noteStoredBytes(obj: object): void {
    if (isDerivedBytes(obj)) refuseSharedBytes();
    (this.#storedBytes ??= new SharedBytes()).add(obj);
  }

  /** Number of recorded changes. */
  get size(): number {
    return this.#entryCount;
  }

  /** Number of fresh objects stored during the action. */
  get freshCount(): number {
    return this.#freshCount;
  }

  /** Fresh object number `i` (0 <= i < freshCount). */
  freshAt(i: number): object {
    return this.#fresh[i] as object;
  }

  /** Number of moved objects to re-check (see addMoved). */
  get movedCount(): number {
    return this.#movedCount;
  }

  /** Moved object number `i` (0 <= i < movedCount). */
  movedAt(i: number): object {
    return this.#moved[i] as object;
  }

  /**
   * Remembers an object that got its tracking proxy during this action and
   * was then stored somewhere: it may be one the action built and read back
   * (a fresh value's nested array, taken out and stored elsewhere), which
   * can still hold proxies, and the re-check of the fresh values it left
   * would no longer reach it (internal: used by storeValue).
   */
  addMoved(raw: object): void {
    this.#moved[this.#movedCount++] = raw;
  }

  /**
   * Remembers that the action wrote own property `key` of `target` (an
   * array or a built-in when `builtin`) in a form the encodings refuse; it
   * is checked when the action ends, so a property added for a moment and
   * removed again passes (internal: used by the tracking traps).
   */
  notePropertyWrite(target: object, key: PropertyKey, builtin: boolean): void {
    // Once per property and action: a loop writing one key must not grow the list.
    const keys = (this.#writtenKeys ??= new Map()).get(target);
    if (keys?.has(key) === true) return;
    if (keys === undefined) this.#writtenKeys.set(target, new Set([key]));
    else keys.add(key);
    const n = this.#writtenCount++;
    this.#written[3 * n] = target;
    this.#written[3 * n + 1] = key;
    this.#written[3 * n + 2] = builtin;
  }

  /**
   * Remembers that the action made stored (enumerable) property `key` of
   * `target` non-enumerable: checked when the action ends, so one made
   * enumerable again passes (internal: used by the tracking traps).
   */
  noteHidden(target: object, key: string): void {
    appendOwn((this.#hidden ??= []), [target, key]);
  }

  /** The properties noteHidden noted in this action. */
  get hidden(): ReadonlyArray<readonly [object, string]> {
    return this.#hidden ?? NONE_HIDDEN;
  }

  /** Number of property writes to check when the action ends (see notePropertyWrite). */
  get writtenCount(): number {
    return this.#writtenCount;
  }

  /** Property write number `i`: its target, key and whether the target is an array or built-in. */
  writtenAt(i: number): [object, PropertyKey, boolean] {
    const w = this.#written;
    return [w[3 * i] as object, w[3 * i + 1] as PropertyKey, w[3 * i + 2] as boolean];
  }

  /**
   * Notes that `raw` now sits under `key` of `parent` (by a Map key when
   * `viaMap`), to be recorded (see paths.ts) by commitPlaces once the action
   * is kept: a rolled-back action must leave no place in what it discarded.
   */
  notePlace(raw: object, parent: object, key: unknown, viaMap: boolean): void {
    const n = 4 * this.#newPlaceCount++;
    const slots = this.#newPlaces;
    slots[n] = raw;
    slots[n + 1] = parent;
    slots[n + 2] = key;
    slots[n + 3] = viaMap;
  }

  /** Records the places notePlace noted (the runner calls it for an action that is kept). */
  commitPlaces(): void {
    const slots = this.#newPlaces;
    for (let i = 0; i < this.#newPlaceCount; i++) {
      const n = 4 * i;
      recordStep(slots[n] as object, slots[n + 1] as object, slots[n + 2], slots[n + 3] as boolean);
    }
  }

  /** Where fresh object number `i` was stored: parent, key, and whether by a Map key. */
  placeAt(i: number): [object, unknown, boolean] {
    const places = this.#places;
    return [places[3 * i] as object, places[3 * i + 1], places[3 * i + 2] as boolean];
  }

  /** Remembers a fresh object stored under `key` of `parent` (internal: used by the tracking traps). */
  addFresh(value: object, parent: object, key: unknown, viaMap: boolean): void {
    const n = this.#freshCount++;
    this.#fresh[n] = value;
    const places = this.#places;
    places[3 * n] = parent;
    places[3 * n + 1] = key;
    places[3 * n + 2] = viaMap;
  }

  /**
   * Records where every fresh object of this action was stored, so a view
   * of one (say, the action's result) passed back later is located without
   * searching the state. Done only when the action returns an object: most
   * actions never pay for it.
   */
  linkFresh(): void {
    const places = this.#places;
    for (let i = 0; i < this.#freshCount; i++) {
      recordStep(
        this.#fresh[i]!,
        places[3 * i] as object,
        places[3 * i + 1],
        places[3 * i + 2] as boolean,
      );
    }
  }

  /** Appends an entry (internal: used by the tracking traps). */
  push(entry: UndoEntry): void {
    this.#entries[this.#entryCount++] = entry;
  }

  /** True the first time it is asked about `target` and `what` in this log (internal). */
  firstSave(target: object, what: 'order' | 'contents'): boolean {
    const saved =
      what === 'order'
        ? (this.#orderSaved ??= new WeakSet())
        : (this.#contentsSaved ??= new WeakSet());
    if (saved.has(target)) return false;
    saved.add(target);
    return true;
  }

  /** Where the log stands now, for rollbackTo (a nested @abortOnException call). */
  mark(): LogMark {
    // A rollback to this mark undoes only the entries made after it, so an
    // order or contents saved before must be saved again by the first change
    // after it; otherwise that change (a Map or Set delete, an object's key
    // delete) would have no entry of its own in the savepoint.
    this.#orderSaved = undefined;
    this.#contentsSaved = undefined;
    return { entries: this.#entryCount, fresh: this.#freshCount, moved: this.#movedCount };
  }

  /**
   * Undoes the changes recorded since `mark`, newest first, and forgets the
   * fresh objects stored since: what a nested @abortOnException call did
   * when it threw. Earlier changes stay recorded for the action's own end.
   */
  rollbackTo(mark: LogMark): void {
    const entries = this.#entries;
    const count = this.#entryCount;
    this.#entryCount = mark.entries;
    try {
      for (let i = count - 1; i >= mark.entries; i--) entries[i]!.undo();
    } finally {
      clearSlots(entries, mark.entries, count);
      clearSlots(this.#fresh, mark.fresh, this.#freshCount);
      clearSlots(this.#places, 3 * mark.fresh, 3 * this.#freshCount);
      this.#freshCount = mark.fresh;
      // The set may hold objects the savepoint stored: built again when next asked.
      this.#freshSet = undefined;
      this.#freshSetCount = 0;
      clearSlots(this.#moved, mark.moved, this.#movedCount);
      this.#movedCount = mark.moved;
      if (count > mark.entries) {
        // An order or contents saved since the mark was just put back and its
        // entry dropped: the next change must save again.
        this.#orderSaved = undefined;
        this.#contentsSaved = undefined;
      }
    }
  }

  /** Undoes every recorded change, newest first, and empties the log. */
  rollback(): void {
    this.rollbackTo(LOG_START);
  }
}

/** A position in an UndoLog (see UndoLog.mark). */
export interface LogMark {
  readonly entries: number;
  readonly fresh: number;
  readonly moved: number;
}

/** The mark of an empty log: rolling back to it undoes everything. */
const LOG_START: LogMark = { entries: 0, fresh: 0, moved: 0 };

/** Beyond this many slots a reused array is dropped rather than cleared, so one big action does not pin memory. */
const KEEP_SLOTS = 1024;

/** Clears slots [from, to) of a reused array so it holds no state object. */
function clearSlots(slots: unknown[], from: number, to: number): void {
  if (from === 0 && to > KEEP_SLOTS) {
    slots.length = 0;
    return;
  }
  for (let i = from; i < to; i++) slots[i] = undefined;
}

let current: UndoLog | null = null;

/** The log of the running action, or null outside actions. */
export function currentLog(): UndoLog | null {
  return current;
}

/** Sets the running action's log (internal: beginTracking/endTracking). */
export function setCurrentLog(log: UndoLog | null): void {
  current = log;
}

/**
 * Refuses the use (`what`, e.g. "reading") of a state object of another
 * system than the one whose action `running` records: a tracking proxy kept
 * from one of that system's actions. Its system would not journal a change
 * (a restart loses it) and a replay of this action could not reach it.
 */
export function refuseForeignUse(running: UndoLog, what: string, key?: PropertyKey): void {
  if (running.replaying) return;
  const use = key === undefined ? what : `${what} ${keyLabel(key)}`;
  const error = new PrevalenceError(
    'NONDETERMINISTIC_METHOD',
    `${use} on a state object of another system, from inside an action (a reference kept in a variable or a closure): that system would not journal a change, so its restart would lose it, and a replay of this action could not reach the object; pass what the action needs as arguments, and call other systems outside actions`,
  );
  running.refusal ??= error;
  throw error;
}

/**
 * Refuses a use of a read-only view from inside a live action (`use`, e.g.
 * `reading "rate" of`, followed by "a read-only view" in the message).
 * Inside an action the state is reached through `this` and the arguments,
 * which are tracking proxies, never views: a view there was kept in a
 * variable or a closure (`const settings = system.settings`), so a replay
 * of the action, run before any view exists, could not use it, and the
 * restart would diverge. The whole action is refused, even if it catches
 * this.
 */
export function refuseHeldView(running: UndoLog, use: string): void {
  if (running.replaying) return;
  const error = new PrevalenceError(
    'NONDETERMINISTIC_METHOD',
    `${use} a read-only view from inside an action (a view kept in a variable or a closure, such as \`const settings = system.settings\`): a replay of the action runs before any view exists, so it could not do this and the restart would diverge; inside an action, reach the state through \`this\`, or pass what the action needs as arguments`,
  );
  running.refusal ??= error;
  throw error;
}

/**
 * True when `log` (an object's owner or claim) answers to another system
 * than `own` that is still open: the object is that system's.
 */
export function isOtherOpen(log: UndoLog | undefined, own: UndoLog): boolean {
  const current = log?.resolve();
  return current !== undefined && current !== own && !current.retired;
}

/**
 * Refuses storing `raw`, reached through a proxy or a view, when it is a
 * prototype (`Object.prototype` through a `__proto__` key, perhaps one from a
 * request): not data, a snapshot could not keep it. The whole action fails,
 * as for every value a snapshot cannot keep. Live only: a journal an earlier
 * version wrote replays as it ran.
 */
export function refuseIfPrototype(raw: object, log: UndoLog): void {
  // A replay accepts what an earlier version journaled.
  if (log.replaying || !isPrototypeObject(raw)) return;
  const error = new PrevalenceError(
    'NOT_SERIALIZABLE',
    `the action stored ${describeUnstorable(raw)}`,
  );
  log.refusal ??= error;
  throw error;
}

/**
 * Refuses (see refuseForeignUse) storing `raw`, a state object reached
 * through a proxy or a view, when it belongs to another open system: its
 * tracking proxies answer to another system's log, or, never reached by an
 * action there, its recorded place leads to another open system's root.
 */
export function refuseIfForeign(raw: object, log: UndoLog): void {
  const owner = rawOwner.get(raw);
  if (owner !== undefined) {
    if (isOtherOpen(owner, log)) refuseForeignUse(log, 'storing');
    return;
  }
  if (log.root === undefined) return;
  const top = linkTop(raw);
  if (top !== log.root && openRoots.has(top)) refuseForeignUse(log, 'storing');
}

/**
 * The running action's log; a write outside any action is refused with
 * READONLY_VIOLATION. The message (`what`, then the key when given) is only
 * built then, so the writes of an action pay nothing for it.
 */
export function requireLog(what: string, key?: PropertyKey): UndoLog {
  if (current !== null) return current;
  const change = key === undefined ? what : `${what} ${keyLabel(key)}`;
  throw new PrevalenceError(
    'READONLY_VIOLATION',
    `${change} on a state object obtained inside an action, after that action ended (a callback, timer or promise the action left behind, or a variable that kept it): state changes must be journaled, so call the action on the system object (the ended action's \`this\` is not it, and a method called through it runs unjournaled), and read the object again inside the action that changes it`,
  );
}

/** Undo of a property write, definition or delete: restore the old descriptor, or delete a new key. */
export class PropertyEntry implements UndoEntry {
  constructor(
    private readonly target: object,
    private readonly key: PropertyKey,
    private readonly old: PropertyDescriptor | undefined,
    /** For a new index on an array: the length before, since adding the index may have grown it. */
    private readonly oldLength?: number,
  ) {}

  undo(): void {
    if (this.old !== undefined) {
      Reflect.defineProperty(this.target, this.key, this.old);
      // A getter or read-only element put back: the array may be remembered as plain since.
      if (Array.isArray(this.target) && isArrayIndex(this.key)) {
        noteElementDefined(this.target, this.old, undefined);
      }
      return;
    }
    Reflect.deleteProperty(this.target, this.key);
    if (this.oldLength !== undefined) (this.target as unknown[]).length = this.oldLength;
  }
}

/** Undo of an array length change: restore the length and the elements the shrink removed. */
export class ArrayLengthEntry implements UndoEntry {
  constructor(
    private readonly target: unknown[],
    private readonly oldLength: number,
    private readonly removed: Array<[string, PropertyDescriptor]>,
  ) {}

  undo(): void {
    this.target.length = this.oldLength;
    for (const [key, desc] of this.removed) {
      Reflect.defineProperty(this.target, key, desc);
      if (isArrayIndex(key)) noteElementDefined(this.target, desc, undefined);
    }
  }
}

/**
 * Saved before the first delete of a non-index key on an object in an
 * action. Undoing the later entries restores the key set; this entry then
 * restores the order by re-adding the keys that are out of place, which
 * costs O(keys of that one object).
 */
export class KeyOrderEntry implements UndoEntry {
  constructor(
    private readonly target: object,
    private readonly keys: PropertyKey[],
  ) {}

  undo(): void {
    const now = Reflect.ownKeys(this.target);
    let i = 0;
    while (i < this.keys.length && now[i] === this.keys[i]) i++;
    if (i === this.keys.length && now.length === this.keys.length) return;
    for (let j = i; j < this.keys.length; j++) {
      const key = this.keys[j]!;
      if (isArrayIndex(key)) continue;
      const desc = Reflect.getOwnPropertyDescriptor(this.target, key);
      if (desc === undefined) continue;
      Reflect.deleteProperty(this.target, key);
      Reflect.defineProperty(this.target, key, desc);
    }
  }
}

/** Records the key order of `target` before its first order-changing delete in this action. */
export function saveKeyOrder(log: UndoLog, target: object, key: PropertyKey): void {
  if (isArrayIndex(key) || !log.firstSave(target, 'order')) return;
  log.push(new KeyOrderEntry(target, Reflect.ownKeys(target)));
}
