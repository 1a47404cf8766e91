import { types } from 'node:util';
import { OwnStack, ownList } from './own-array';
import { PrevalenceError, isPrevalenceError } from '../errors';
import {
  isOtherOpen,
  PropertyEntry,
  refuseForeignUse,
  refuseHeldView,
  refuseIfForeign,
  refuseIfPrototype,
  type Storability,
  type UndoEntry,
  type UndoLog,
} from './undo';
import { holdsBytes, isDerivedBytes, SharedBytes } from './shared-bytes';
import { MapContentsEntry, SetContentsEntry } from './undo-builtins';
import { keyLabel } from './violation';
import { MAX_ARRAY_LENGTH, overlongArray } from '../codec/extras';
import { byteLengthSlot } from '../codec/slots';
import { forwardingPrototypes, GIVEN_INSTANCE } from '../codec/kinds';
import {
  eachEntry,
  eachMember,
  entryList,
  mapClear,
  mapSet,
  memberList,
  refillSet,
} from '../codec/raw-iteration';
import { handlerKindOf, isArrayIndex, kindOf } from './kinds';
import {
  holdsAt,
  IN_COLLECTION,
  linkTop,
  pathInState,
  pathWithin,
  placeHolds,
  renderPath,
} from './paths';
import {
  isPassThrough,
  rawOwner,
  rawToTracking,
  rawToView,
  MAX_STORED_PROTOTYPES,
  noteOwnSlot,
  stateShape,
  storedPrototypes,
  turnPureReadsOff,
  toRaw,
  trackingToRaw,
  viewTarget,
} from './registry';

/**
 * Typed arrays of more bytes than this are not listed for own properties
 * (see noteBuiltinOwnShape): Reflect.ownKeys lists every element, some
 * 0.1 µs each, twice per store (at the store and as the action ends), so
 * 1024 bytes cost an action storing them 0.2 ms. Larger ones turn the
 * pure reads off instead: slower queries, as before them, but no action
 * slower than before.
 */
const LISTED_TYPED_BYTES = 64;

/**
 * Sets `stateShape` for an own accessor or function of a built-in being
 * stored (a Map, Set, Date, RegExp, typed array, DataView or ArrayBuffer):
 * a pure read on the raw state would run it with the raw object as `this`
 * (see pure-query-guard.ts). A typed array too long to list its keys
 * cheaply counts as having both.
 */
function noteBuiltinOwnShape(obj: object): void {
  if (stateShape.ownGetterSeen && stateShape.ownFunctionSeen) return;
  if (types.isTypedArray(obj) && byteLengthSlot(obj) > LISTED_TYPED_BYTES) {
    turnPureReadsOff();
    return;
  }
  for (const key of Reflect.ownKeys(obj)) {
    if (typeof key === 'string' && isArrayIndex(key)) continue;
    const desc = Reflect.getOwnPropertyDescriptor(obj, key);
    if (desc !== undefined) noteOwnSlot(desc);
  }
}

/**
 * Notes the prototype of an object being stored, or of the initial state,
 * for the pure-read guard (see storedPrototypes): one of an object kept in
 * a non-enumerable property is no registered class's, so the guard would
 * not look at its getters.
 */
function noteStoredPrototype(proto: object | null): void {
  if (proto === null || proto === Object.prototype || proto === Array.prototype) return;
  if (storedPrototypes.has(proto)) return;
  if (storedPrototypes.size >= MAX_STORED_PROTOTYPES) {
    turnPureReadsOff();
    return;
  }
  storedPrototypes.add(proto);
}

/** Undo of the end-of-action walk's replacements in one array: the proxies go back in place. */
class ElementsEntry implements UndoEntry {
  constructor(
    private readonly arr: unknown[],
    private readonly at: number[],
    private readonly held: unknown[],
  ) {}

  undo(): void {
    for (let k = 0; k < this.at.length; k++) this.arr[this.at[k]!] = this.held[k];
  }
}

/** Maps a tracking proxy or a view found inside a value to what replaces it. */
export type ProxyReplacer = (proxy: object) => object;

function isProxyLike(value: object): boolean {
  return trackingToRaw.has(value) || viewTarget(value) !== undefined;
}

/**
 * Refuses a Proxy of the user's own (not a tracking proxy or view) about to
 * be stored: a snapshot keeps its target's data, not its traps, so it would
 * read differently after a restart, and its traps would run user code while
 * a snapshot is written or an action rolled back.
 */
function refuseUserProxy(value: object, log: UndoLog | undefined): void {
  if (!types.isProxy(value) || isProxyLike(value)) return;
  try {
    refuse(
      "a Proxy (one of the program's own, or a system initSystem returned: a snapshot keeps its target's data, not its traps)",
      value,
    );
  } catch (err) {
    // The whole action, even if it catches the error: a replay runs no such check.
    if (log !== undefined) log.refusal ??= err as Error;
    throw err;
  }
}

/**
 * Replaces every tracking proxy and view reachable from `value` without
 * passing through a proxy: a proxy itself is replaced and the walk stops
 * there. Fresh objects, arrays, Maps, Sets and class instances are changed
 * in place (key and insertion order kept); cycles are followed once.
 */
export function replaceDeep<T>(value: T, replace: ProxyReplacer): T {
  if (typeof value !== 'object' || value === null) return value;
  if (isProxyLike(value)) return replace(value) as T;
  if (isPassThrough(value)) return value;
  if (holdsOnlyPrimitives(value, false)) return value;
  new Walker(replace, false).run(value);
  return value;
}

/**
 * The common case of a stored value, checked without setting up a walk: an
 * ordinary object or array whose own properties are all configurable data
 * properties holding primitives, so there is nothing to replace or refuse.
 */
function holdsOnlyPrimitives(
  value: object,
  forStorage: boolean,
  storability?: Storability,
): boolean {
  if (forStorage && !Object.isExtensible(value)) return false;
  if (Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (forStorage) noteStoredPrototype(proto);
    // An Array subclass or one from another realm is the storage check's to judge.
    if (storability !== undefined && proto !== Array.prototype) return false;
    // Live stores only (as read-only properties): an earlier version's journal replays as it ran.
    if (storability !== undefined && !hasWritableLength(value)) return false;
    if (storability !== undefined && value.length > MAX_ARRAY_LENGTH) return false;
    let present = 0;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' ? item !== null : forStorage && !isPlainPrimitive(item)) {
        return false;
      }
      if (item !== undefined || i in value) present++;
    }
    // The elements and `length`: any other key (named, symbol) goes to the walk.
    return Reflect.ownKeys(value).length === present + 1;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    if (forStorage) noteStoredPrototype(proto);
    if (leftToWalker(value)) return false;
    if (storability !== undefined) {
      if (!storability.kind(value, proto)) return false;
      // A Date, RegExp or ArrayBuffer: the walk checks it has no named properties.
      if (handlerKindOf(value) !== 'plain') return false;
    }
  }
  // Names and symbols apart: Reflect.ownKeys costs more than both together
  // (V8 answers getOwnPropertyNames from the enumeration cache).
  const names = Object.getOwnPropertyNames(value);
  for (let i = 0; i < names.length; i++) {
    if (!isPrimitiveSlot(value, names[i]!, forStorage, storability !== undefined)) return false;
  }
  const symbols = Object.getOwnPropertySymbols(value);
  // The encodings refuse symbol keys: let the walk name the first one.
  if (forStorage && symbols.length !== 0 && storability !== undefined) return false;
  for (let i = 0; i < symbols.length; i++) {
    if (!isPrimitiveSlot(value, symbols[i]!, forStorage, storability !== undefined)) return false;
  }
  return true;
}

/**
 * False for an array whose `length` was made read-only: snapshots restore it
 * writable, so a push that fails live would succeed after a restart.
 */
function hasWritableLength(arr: unknown[]): boolean {
  return Reflect.getOwnPropertyDescriptor(arr, 'length')?.writable === true;
}

/** False for a function or a symbol, which the encodings cannot store. */
function isPlainPrimitive(value: unknown): boolean {
  return typeof value !== 'function' && typeof value !== 'symbol';
}

/**
 * True for the built-ins whose contents the walk handles (Map and Set
 * entries; typed arrays and DataViews, whose elements need no look). Dates,
 * RegExps and ArrayBuffers stay here with ordinary objects: for them the
 * walk does nothing beyond the extensibility test made here too, so the
 * outcome is the same whichever way they go. Cheaper than kindOf's seven
 * tests, which an ordinary class instance (the usual stored value) would
 * pass through, once where it is stored and once when the action ends.
 */
function leftToWalker(value: object): boolean {
  return types.isMap(value) || types.isSet(value) || ArrayBuffer.isView(value);
}

/**
 * True for a read-only data property that snapshots store (an enumerable
 * string-keyed one): they restore it writable, so a write that fails live
 * would succeed after a restart, and the replay of the action that tried it
 * stops with REPLAY_DIVERGED.
 */
export function isStoredReadOnly(key: PropertyKey, desc: PropertyDescriptor): boolean {
  return desc.writable === false && desc.enumerable === true && typeof key === 'string';
}

/**
 * False for an own data property holding an object; for storage also for a
 * non-configurable or stored read-only one, an accessor and a function or
 * symbol value.
 */
function isPrimitiveSlot(
  value: object,
  key: PropertyKey,
  forStorage: boolean,
  /** Live stores only: read-only stored properties too (see isStoredReadOnly). */
  readOnlyToo: boolean,
): boolean {
  const desc = Reflect.getOwnPropertyDescriptor(value, key);
  if (desc === undefined) return true;
  if (!('value' in desc)) {
    if (forStorage) stateShape.ownGetterSeen = true;
    return !forStorage;
  }
  if (forStorage && (!desc.configurable || (readOnlyToo && isStoredReadOnly(key, desc)))) {
    return false;
  }
  const v: unknown = desc.value;
  return typeof v === 'object' ? v === null : !forStorage || isPlainPrimitive(v);
}

const keepProxy: ProxyReplacer = (proxy) => proxy;

/**
 * The store-time check of a fresh object (neither a proxy nor a pass-through
 * value): NOT_SERIALIZABLE for a frozen, sealed or non-extensible object and
 * for a non-configurable property, since snapshots do not keep those (the
 * value would behave differently after a restart, and a read-only view could
 * not wrap what such a property holds); nothing
 * changed — proxies inside stay until the action ends, so the action's own
 * references into the value keep going through the membrane.
 */
export function checkFreshForStorage(
  value: object,
  log: UndoLog,
  key: unknown,
  encoded: boolean,
): void {
  const storability = encoded ? log.storability : undefined;
  if (storability !== undefined) refuseUserProxy(value, log);
  // What may run the program's own code here must run in a replay too (see UndoLog.replayMustCheckStores).
  if (!encoded || (Array.isArray(value) && value.length !== 0)) log.replayMustCheckStores = true;
  // In the replay of records other code may have written, the same test as live (see below).
  const replayCheck = storability === undefined && encoded ? log.replayStoreCheck : undefined;
  if (holdsOnlyPrimitives(value, true, storability ?? replayCheck)) return;
  const walker = new Walker(keepProxy, true, log, storability !== undefined);
  walker.notesElementReads = true;
  // Shared by the action's stores into slots snapshots keep (checked alike),
  // live and in the replay of a version-1 record alike.
  const checked = encoded ? log.checked('stores') : undefined;
  if (checked !== undefined) walker.visited = checked.walked;
  try {
    walker.run(value);
  } catch (err) {
    throw placedWalkRefusal(err, value, storedUnder(key), log);
  }
  // Set only for a slot snapshots keep, so `checked` is too.
  if (storability !== undefined) {
    checkStorableOrRefuse(value, log, storedUnder(key), checked!.encodable);
  } else if (replayCheck !== undefined) {
    // The replay of a record other code may have written: what a live call of this code refuses
    // fails the replayed action whole, as the live one would have failed.
    try {
      replayCheck.check(
        value,
        storedUnder(key),
        (obj) => isStateObject(obj, log),
        checked?.encodable,
      );
    } catch (err) {
      log.refusal ??= err as Error;
      throw err;
    }
  }
}

/**
 * The storage check of a value stored into a slot the encodings keep (see
 * Storability). A failure refuses the whole action, even if it catches the
 * error: a replay runs no such check, so a journaled action must have
 * passed it.
 */
export function checkStorableOrRefuse(
  value: unknown,
  log: UndoLog,
  where: string,
  /** Objects an earlier check of the same pass looked into (see UndoLog.checked). */
  checked?: Set<object>,
): void {
  try {
    log.storability?.check(value, where, (obj) => isStateObject(obj, log), checked);
  } catch (err) {
    log.refusal ??= err as Error;
    throw err;
  }
}

/** True for a proxy, or an object reached through the membrane before this action: checked when it was stored. */
function isStateObject(obj: object, log: UndoLog): boolean {
  return isProxyLike(obj) || reachedBefore(obj, log);
}

/**
 * True for an object that has a tracking proxy or a view, so it was reached
 * through the membrane: part of the state, holding no proxy. Unless it got
 * its proxy during this action: then it may be a fresh object read back
 * after it was stored, and counts as fresh.
 */
function reachedBefore(obj: object, log: UndoLog | undefined): boolean {
  return (rawToTracking.has(obj) || rawToView.has(obj)) && !log?.trackedDuringAction(obj);
}

/** How a NOT_SERIALIZABLE message names a value stored under `key` (a property, index, Map key or Set member). */
export function storedUnder(key: unknown): string {
  if (key === IN_COLLECTION) return 'a Map key or Set member the action stored';
  if (typeof key === 'string' || typeof key === 'symbol')
    return `the value stored under ${keyLabel(key)}`;
  if (typeof key === 'number') return `the value stored under [${key}]`;
  return 'the value the action stored in a Map';
}

/** The end-of-action check of a fresh object: as above, and proxies inside become raw objects. */
export function unwrapFreshForStorage(
  value: object,
  log: UndoLog,
  /** Where a fresh value was stored (parent, key, by a Map key), recorded when it holds objects. */
  place?: [object, unknown, boolean],
): void {
  if (log.storability !== undefined) refuseUserProxy(value, log);
  log.noteReplayedKind(value);
  if (holdsOnlyPrimitives(value, true, log.storability)) return;
  const live = log.storability !== undefined;
  const bytes = live ? (obj: object) => log.noteStoredBytes(obj) : undefined;
  const walker = new Walker(toRaw, true, log, live, bytes);
  walker.undoesReplacements = true;
  // Live only: a replay's places are recorded as views are made after it.
  if (live) walker.placing = { root: value, place };
  // One walk of the end-of-action check looks into an object once, whatever values hold it.
  const checked = log.checked('end');
  walker.visited = checked.walked;
  try {
    walker.run(value);
  } catch (err) {
    throw placedWalkRefusal(err, value, 'a value the action stored', log);
  }
  if (live) checkStorableOrRefuse(value, log, 'a value the action stored', checked.encodable);
}

/**
 * A walk's refusal of something in `value`, stored as `where` says (see
 * storedUnder), naming where in it, as the initial state's does; the caller
 * names the stored value by its path from the root (see record.ts). Any
 * other error as it is.
 */
function placedWalkRefusal(err: unknown, value: object, where: string, log: UndoLog): unknown {
  if (!isPrevalenceError(err, 'NOT_SERIALIZABLE')) return err;
  const at = refusedAt.get(err);
  if (at === undefined) return err;
  const path = pathWithin(value, at);
  const inside = path === undefined || path.length === 0 ? '' : ` (at ${renderPath(path)})`;
  const named = new PrevalenceError(
    'NOT_SERIALIZABLE',
    `${where} holds something a snapshot cannot keep as it is${inside}: ${err.message.slice(`${err.code}: `.length)}`,
    { cause: err },
  );
  refusedAt.set(named, at);
  if (log.refusal === err) log.refusal = named;
  return named;
}

/**
 * A tracking proxy or view becomes its raw target, and proxies inside a
 * fresh value are replaced by their raw targets (the fresh value is changed
 * in place). Returns the raw.
 */
export function unwrapDeep<T>(value: T): T {
  return replaceDeep(value, toRaw);
}

/** The object each refusal of a walk was about (the one refused or holding the refused property). */
const refusedAt = new WeakMap<PrevalenceError, object>();

/** NOT_SERIALIZABLE saying `message` about the object `at`. */
function refuseAt(message: string, at: object): never {
  const err = new PrevalenceError('NOT_SERIALIZABLE', message);
  refusedAt.set(err, at);
  throw err;
}

function refuse(what: string, at?: object): never {
  const err = new PrevalenceError(
    'NOT_SERIALIZABLE',
    `${what} cannot be stored in the state: snapshots do not keep it, so the object would behave differently after a restart; store a plain, extensible copy instead`,
  );
  if (at !== undefined) refusedAt.set(err, at);
  throw err;
}

/**
 * The initial-state check's refusal of a function where snapshots do not
 * look (a non-enumerable or symbol-keyed property, anything below one, a
 * property of a Map or typed array): the system object and views hand it
 * out, and a call to it (a closure or bound function over the raw state,
 * made by the constructor) would change the state outside any action. One
 * where snapshots look is refused by the snapshot encoding's own rules.
 */
function refuseHiddenFunction(key: PropertyKey | undefined, at: object): never {
  const where = key === undefined ? 'held where' : `in the property ${keyLabel(key)}, where`;
  refuseAt(
    `a function ${where} snapshots do not look: the system object and its views would hand it out, and a call to it (a closure or bound function over the state) would change the state outside any action, never journaled, so a restart would lose the change; make it a method of the class`,
    at,
  );
}

/**
 * The initial-state check's refusal of an own getter or setter (an
 * enumerable one is refused by the snapshot encoding's own rules): the
 * system object and views run it, and one made by the constructor may hand
 * out a closure over the raw state, or change it, outside any action.
 */
function refuseHiddenAccessor(key: PropertyKey, at: object): never {
  // Its accessors are the state's fields read through its system object: say what it is.
  if (forwardingPrototypes.has(Object.getPrototypeOf(at) as object)) refuseAt(GIVEN_INSTANCE, at);
  refuseAt(
    `an own getter or setter ${keyLabel(key)}: snapshots do not keep it, and one the constructor made may reach the state outside any action (a closure over it); declare it in the class instead`,
    at,
  );
}

/** Objects of initial states checked → the undo log of the system whose initial state held them (see checkInitialState). */
const initialClaims = new WeakMap<object, UndoLog>();

/**
 * Refuses (NONDETERMINISTIC_METHOD, failing the whole action) a fresh-looking
 * object a live action stores that another open system started with or
 * reached: a module-level default both got, say. The two states would
 * share it, each journaling only its own changes.
 */
export function refuseClaimedByOther(obj: object, log: UndoLog): void {
  if (isOtherOpen(initialClaims.get(obj), log) || isOtherOpen(rawOwner.get(obj), log)) {
    refuseForeignUse(log, 'storing');
  }
}

/**
 * The check of a new data directory's initial state (the domain instance as
 * its constructor left it), before the first snapshot stores it: what an
 * action may not store, it may not start with either. Frozen, sealed and
 * non-extensible objects and non-configurable or stored read-only
 * properties throw NOT_SERIALIZABLE: the snapshot would restore them as
 * ordinary ones, so an action that fails on them live would succeed in a
 * replay (REPLAY_DIVERGED), or a change refused live would be made. So do
 * a view or tracking proxy of a system's state, and an object that is also
 * in the state of another open system (`isOpen` tells the raw roots of open
 * systems): a module-level default two instances share, say. Each system
 * would journal only its own changes to it, and after a restart it would be
 * shared no more.
 */
export function checkInitialState(
  root: object,
  isOpen: (root: object) => boolean,
  /** The undo log of the system opening (its own tracking proxies are not another's). */
  own: UndoLog,
): void {
  // The object whose bytes the refused one shares, named in the message too.
  let sharing: object | undefined;
  const shared = new SharedBytes((err, at, other) => {
    refusedAt.set(err, at);
    sharing = other;
  });
  const claimedHere: object[] = [];
  // Another open system that started with the object, or whose action or
  // view reached it: refused even if that system let go of it since (it may
  // take it back, from the variable both got it from, and an object whose
  // tracking proxy answers to it could not be changed here).
  const claimOf = (obj: object): void => {
    const top = rawToView.has(obj) ? linkTop(obj) : undefined;
    if (
      isOtherOpen(initialClaims.get(obj), own) ||
      isOtherOpen(rawOwner.get(obj), own) ||
      (top !== undefined && top !== root && isOpen(top))
    ) {
      refuseAt(
        'an object that is also in the state of another open system, or was: each system journals only its own changes to it, and a restart would part them; give each instance its own copy, e.g. { ...DEFAULTS } or structuredClone(DEFAULTS)',
        obj,
      );
    }
    // Owned by a closed system (its instance may be reused): this system's now.
    const owner = rawOwner.get(obj)?.resolve();
    if (owner !== undefined && owner !== own && owner.retired) disowned.push(obj);
    claimedHere.push(obj);
  };
  const disowned: object[] = [];
  const refuseProxy: ProxyReplacer = (proxy) =>
    refuseAt(
      "a read-only view or tracking proxy of a system's state: the state holds objects of its own; copy the data you need from it",
      proxy,
    );
  try {
    const walker = new Walker(
      refuseProxy,
      true,
      undefined,
      true,
      (obj) => shared.add(obj),
      claimOf,
    );
    walker.rootOfState = root;
    walker.run(root);
  } catch (err) {
    if (!(err instanceof PrevalenceError)) throw err;
    const detail = err.message.slice(`${err.code}: `.length);
    const at = refusedAt.get(err);
    const path = at === undefined ? undefined : pathInState(at, root);
    const otherPath = sharing === undefined ? undefined : pathInState(sharing, root);
    const also =
      otherPath === undefined || otherPath.length === 0
        ? ''
        : `, sharing bytes with ${renderPath(otherPath)}`;
    const where =
      path === undefined
        ? ''
        : path.length === 0
          ? ' (the root object)'
          : ` (at ${renderPath(path)}${also})`;
    throw new PrevalenceError(
      'NOT_SERIALIZABLE',
      `the initial state of the domain object (as its constructor left it) holds something a snapshot cannot keep as it is${where}: ${detail}`,
    );
  }
  for (const obj of claimedHere) initialClaims.set(obj, own);
  for (const obj of disowned) {
    rawToTracking.delete(obj);
    rawOwner.delete(obj);
  }
}

/** Refuses an element of `arr` that is an accessor, non-configurable or read-only: snapshots restore elements as plain writable values. */
function refuseLockedElements(arr: unknown[]): void {
  for (let i = 0; i < arr.length; i++) {
    const desc = Reflect.getOwnPropertyDescriptor(arr, i);
    if (desc === undefined) continue;
    if (!('value' in desc)) refuse(`accessor element [${i}]`, arr);
    if (!desc.configurable) refuse(`non-configurable element [${i}]`, arr);
    if (desc.writable === false) refuse(`read-only element [${i}]`, arr);
  }
}

/** How many objects the unwrapping walks visited in all (for tests and benchmarks). */
export const unwrapStats = { visited: 0 };

class Walker {
  /** The objects walked (shared by the walks of one pass of checks: see UndoLog.checked). */
  visited = new Set<object>();
  /** No prototype (see ownList): it holds raw state objects. */
  private readonly stack = new OwnStack<object>();

  constructor(
    private readonly replace: ProxyReplacer,
    private readonly forStorage: boolean,
    /** The running action's log: objects first reached through the membrane during it may be fresh. */
    private readonly log?: UndoLog,
    /**
     * Refuse stored read-only properties too (see isStoredReadOnly): live
     * stores and the initial state only, so an action an earlier version
     * journaled replays as it ran. In an action, the refusal fails it whole.
     */
    private readonly readOnlyToo = false,
    /**
     * Told every typed array, DataView and ArrayBuffer the walk reaches
     * (also one a proxy stands for), to refuse two that share bytes (see
     * shared-bytes.ts): the end-of-action walk of a live action and the
     * initial-state check.
     */
    private readonly bytes?: (obj: object) => void,
    /** Told every object the walk visits (the initial-state check: objects another system holds). */
    private readonly claim?: (obj: object) => void,
  ) {}

  /**
   * Set for the end-of-action walk of a value a live action stored (`root`,
   * stored at `place`; a moved state object has none). A state object of
   * another system found in it is refused like one stored directly; and a
   * state object found in it whose recorded place no longer leads to it
   * (its container replaced by a copy: `this.pages = { ...this.pages }`)
   * gets its place in the stored value, linked up to `place`, once the
   * action is kept (UndoLog.notePlace), so locate finds it without a search
   * and its old container is not needed.
   */
  placing: { root: object; place: [object, unknown, boolean] | undefined } | undefined;
  /** The initial-state check: objects reached where snapshots do not look (see noteHidden). */
  private hidden: Set<object> | undefined;
  /** The store-time check: an array with elements sets the log's replayMustCheckStores (an element may be a getter). */
  notesElementReads = false;
  /**
   * The end-of-action walk: each proxy replaced in a fresh object gets an
   * undo entry, so a rollback (an @abortOnException method that threw, a
   * refused store) leaves the objects it drops from the state holding the
   * tracking proxies again, which refuse changes after the action, rather
   * than raw state objects: an error the caller gets may hold them.
   */
  undoesReplacements = false;

  /**
   * The initial-state check: a function in a slot snapshots do not keep, or
   * anywhere below one, is refused (see refuseHiddenFunction); an object
   * there makes what it holds hidden too.
   */
  private noteHidden(
    container: object,
    value: unknown,
    hiddenSlot: boolean,
    key?: PropertyKey,
  ): void {
    if (this.claim === undefined || (!hiddenSlot && this.hidden?.has(container) !== true)) return;
    if (typeof value === 'function') refuseHiddenFunction(key, container);
    if (typeof value === 'object' && value !== null) (this.hidden ??= new Set()).add(value);
  }

  /** The initial-state check: the named own properties of a Map, Set, Date or typed array. */
  private walkHiddenKeys(obj: object): void {
    for (const key of Reflect.ownKeys(obj)) {
      if (typeof key === 'string' && isArrayIndex(key)) continue;
      const desc = Reflect.getOwnPropertyDescriptor(obj, key);
      if (desc === undefined) continue;
      if (!('value' in desc)) refuseHiddenAccessor(key, obj);
      this.noteHidden(obj, desc.value, true, key);
      this.child(desc.value, obj, key);
    }
  }

  /** The root of the state the initial-state check walks (else the log's): its `_clock` is skipped. */
  rootOfState: object | undefined;
  /** Fresh objects met in the walk → where in it they were found (parent, key, viaMap). */
  private freshPlaces: Map<object, [object, unknown, boolean]> | undefined;
  /** Whether the stored value's place leads to the root (asked once, on the first relink). */
  private placeLeadsHome: boolean | undefined;
  /** placeHolds' answers for the containers met (many siblings share one). */
  private knownPlaces: Map<object, boolean> | undefined;

  run(root: object): void {
    this.visit(root, true);
    for (let obj = this.stack.pop(); obj !== undefined; obj = this.stack.pop()) {
      const kind = kindOf(obj);
      // The initial-state check: a Map's, Set's, Date's or RegExp's own properties, which
      // snapshots do not keep (not a typed array's: listing its keys lists every element).
      if (
        this.claim !== undefined &&
        (kind === 'map' || kind === 'set' || types.isDate(obj) || types.isRegExp(obj))
      ) {
        this.walkHiddenKeys(obj);
      }
      // Stored: an own accessor or function of a built-in (a non-enumerable
      // `get` on a Map, a getter on a Date), which the walks below never list.
      if (this.forStorage && kind !== 'plain') noteBuiltinOwnShape(obj);
      if (this.forStorage) noteStoredPrototype(Object.getPrototypeOf(obj) as object | null);
      if (kind === 'map') this.walkMap(obj as Map<unknown, unknown>);
      else if (kind === 'set') this.walkSet(obj as Set<unknown>);
      else if (kind === 'plain' && Array.isArray(obj)) this.walkArray(obj);
      else if (kind === 'plain') this.walkKeys(obj, Reflect.ownKeys(obj));
      else if (this.bytes !== undefined && holdsBytes(obj)) this.bytes(obj);
    }
  }

  private visit(
    value: object,
    isRoot = false,
    parent?: object,
    key?: unknown,
    viaMap = false,
  ): void {
    if (this.visited.has(value) || (isPassThrough(value) && !types.isProxy(value))) return;
    // A boxed primitive holds nothing to walk, and a String object's index and length
    // properties are non-configurable by nature: the storability check after the walk
    // refuses it as what it is, naming its place (the walk's refusal would blame a property).
    if (this.forStorage && types.isBoxedPrimitive(value)) return;
    this.claim?.(value);
    // Another open system's object, nested in what a live action stored (one
    // reached before has a proxy or view, so the check comes first).
    if (this.placing !== undefined && !isRoot) refuseClaimedByOther(value, this.log!);
    // Walking into the state would cost time proportional to it, not the
    // change; an initial state (claim) is walked whole, once.
    if (!isRoot && this.claim === undefined && reachedBefore(value, this.log)) {
      if (this.placing !== undefined) this.placeIfLost(value, parent!, key, viaMap);
      return;
    }
    if (this.placing !== undefined && parent !== undefined) {
      (this.freshPlaces ??= new Map()).set(value, [parent, key, viaMap]);
    }
    if (this.forStorage) {
      // Live stores and the initial state: an action an earlier version journaled replays as it ran.
      if (this.readOnlyToo) refuseUserProxy(value, this.log);
      if (!Object.isExtensible(value)) refuse('a frozen, sealed or non-extensible object', value);
    }
    // A restore: the kind of what a replayed action stored (see UndoLog.replayKindTest).
    if (!isRoot) this.log?.noteReplayedKind(value);
    this.visited.add(value);
    this.stack.push(value);
    unwrapStats.visited++;
  }

  /** The replacement for a proxy, else `value` (queued for walking when it is an object), found under `key` of `parent`. */
  private child(value: unknown, parent: object, key: unknown, viaMap = false): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (isProxyLike(value)) {
      // A restore: a state object moved into the stored value (its proxy made in an
      // earlier action). Asked first, so a live walk does not look up the raw object twice.
      if (this.log?.replayKindTest !== undefined) this.log.noteReplayedKind(toRaw(value) as object);
      if (this.placing !== undefined) {
        // A view, kept in a variable (see refuseHeldView), stored inside a fresh value.
        if (!trackingToRaw.has(value)) refuseHeldView(this.log!, 'storing');
        const raw = toRaw(value) as object;
        refuseIfForeign(raw, this.log!);
        refuseIfPrototype(raw, this.log!);
        this.placeIfLost(raw, parent, key, viaMap);
        // A state object's bytes: only one got from another's can overlap it (see shared-bytes.ts).
        if (this.bytes !== undefined && isDerivedBytes(raw)) this.bytes(raw);
      }
      return this.replace(value);
    }
    this.visit(value, false, parent, key, viaMap);
    return value;
  }

  /**
   * Notes the place of state object `raw`, found under `key` of `parent` in
   * the stored value, when its recorded place no longer leads to it (see
   * `placing`), with the places of the fresh containers above it.
   */
  private placeIfLost(raw: object, parent: object, key: unknown, viaMap: boolean): void {
    const { root: stored, place } = this.placing!;
    const log = this.log!;
    const home = log.root;
    if (home === undefined || placeHolds(raw, home, (this.knownPlaces ??= new Map()))) return;
    // The stored value must still be where it was stored (not replaced or deleted since), and
    // that place must lead home: then nothing above can be `raw` itself.
    this.placeLeadsHome ??=
      place === undefined
        ? placeHolds(stored, home)
        : holdsAt(place[0], place[1], place[2], stored) && placeHolds(place[0], home);
    if (!this.placeLeadsHome) return;
    log.notePlace(raw, parent, key, viaMap);
    for (let obj = parent; obj !== stored;) {
      const at = this.freshPlaces?.get(obj);
      if (at === undefined) return;
      log.notePlace(obj, at[0], at[1], at[2]);
      obj = at[0];
    }
    if (place !== undefined) log.notePlace(stored, place[0], place[1], place[2]);
  }

  private walkKeys(obj: object, keys: PropertyKey[]): void {
    for (const key of keys) {
      // The system's clock, installed on the root (see installClock): not state.
      if (key === '_clock' && (obj === this.rootOfState || obj === this.log?.root)) continue;
      const desc = Reflect.getOwnPropertyDescriptor(obj, key);
      if (desc === undefined) continue;
      if (this.forStorage && !desc.configurable)
        refuse(`non-configurable property "${String(key)}"`, obj);
      if (this.claim !== undefined && !('value' in desc)) refuseHiddenAccessor(key, obj);
      this.noteHidden(obj, desc.value, typeof key === 'symbol' || desc.enumerable !== true, key);
      if (this.readOnlyToo && isStoredReadOnly(key, desc)) {
        this.refuseAction(() => refuse(`read-only property "${String(key)}"`, obj));
      }
      // A getter, or a function in a slot snapshots skip (elsewhere it is refused): see pure-query-guard.ts.
      if (this.forStorage) noteOwnSlot(desc);
      if (!('value' in desc)) continue;
      const next = this.child(desc.value, obj, key);
      if (next !== desc.value) {
        if (this.undoesReplacements) this.log!.push(new PropertyEntry(obj, key, desc));
        Reflect.defineProperty(obj, key, { value: next });
      }
    }
  }

  /** Throws what `refusal` throws, failing the whole action with it (see UndoLog.refusal), even if the action catches it. */
  private refuseAction(refusal: () => never): never {
    try {
      return refusal();
    } catch (err) {
      if (this.log !== undefined) this.log.refusal ??= err as Error;
      throw err;
    }
  }

  private walkArray(arr: unknown[]): void {
    if (this.notesElementReads && arr.length !== 0) this.log!.replayMustCheckStores = true;
    // Live stores and the initial state (as read-only properties): an earlier
    // version's journal replays as it ran. In an action, the whole action fails.
    if (this.readOnlyToo && !hasWritableLength(arr)) {
      this.refuseAction(() => refuse('an array whose length is read-only', arr));
    }
    // Live stores and the initial state, as above.
    if (this.readOnlyToo && arr.length > MAX_ARRAY_LENGTH) {
      this.refuseAction(() => refuseAt(overlongArray(arr.length), arr));
    }
    // Elements locked one by one (Object.defineProperty on an index) are
    // looked for in the initial state only: a descriptor per element would
    // cost a live store of an array some 60 ns per element (see README).
    if (this.readOnlyToo && this.log === undefined) refuseLockedElements(arr);
    let present = 0;
    // The elements replaced and what they held, for one undo entry (see undoesReplacements).
    let replacedAt: number[] | undefined;
    let replaced: unknown[] | undefined;
    for (let i = 0; i < arr.length; i++) {
      const value = arr[i];
      if (value !== undefined || i in arr) present++;
      this.noteHidden(arr, value, false);
      const next = this.child(value, arr, i);
      if (next !== value) {
        if (this.undoesReplacements) {
          (replacedAt ??= []).push(i);
          (replaced ??= []).push(value);
        }
        arr[i] = next;
      }
    }
    if (replacedAt !== undefined) this.log!.push(new ElementsEntry(arr, replacedAt, replaced!));
    // Named (non-index) keys are rare on arrays; only list keys when some exist.
    const keys = Reflect.ownKeys(arr);
    if (keys.length > present + 1) {
      this.walkKeys(
        arr,
        keys.filter((k) => k !== 'length' && !isArrayIndex(k)),
      );
    }
  }

  // The state's raw Maps and Sets are gone through, emptied and refilled by the built-ins
  // taken at load (raw-iteration.ts): a replacement the program made would be handed them.
  private walkMap(map: Map<unknown, unknown>): void {
    let changed = false;
    // Key, value, key, value, … in an ownList (no index setter of Array.prototype runs), no pairs
    // to destructure (the array iterator may be the program's).
    const entries = ownList<unknown>();
    let n = 0;
    eachEntry(map, (v, k) => {
      this.noteHidden(map, k, false);
      this.noteHidden(map, v, false);
      const nk = this.child(k, map, IN_COLLECTION);
      const nv = this.child(v, map, k, true);
      changed ||= nk !== k || nv !== v;
      entries[n++] = nk;
      entries[n++] = nv;
    });
    if (!changed) return;
    if (this.undoesReplacements) this.log!.push(new MapContentsEntry(map, entryList(map)));
    mapClear.call(map);
    for (let i = 0; i < n; i += 2) mapSet.call(map, entries[i], entries[i + 1]);
  }

  private walkSet(set: Set<unknown>): void {
    let changed = false;
    const values = ownList<unknown>();
    let n = 0;
    eachMember(set, (v) => {
      this.noteHidden(set, v, false);
      const nv = this.child(v, set, IN_COLLECTION);
      changed ||= nv !== v;
      values[n++] = nv;
    });
    if (!changed) return;
    if (this.undoesReplacements) this.log!.push(new SetContentsEntry(set, memberList(set)));
    refillSet(set, values);
  }
}
