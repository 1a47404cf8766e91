import { hasFlag } from '../flags';
import { recordReached } from './paths';
import { arrayFastPaths } from './array-methods';
import { arrayMutatorPaths } from './array-mutators';
import { holdsPlainElements } from './plain-elements';
import type { Fn } from './builtin-common';
import { BuiltinTable, builtinTables, handlerKindOf, isNumericKey, type Kind } from './kinds';
import { defineTracked, deleteTracked, recheckFresh, setTracked } from './record';
import { isPassThrough, rawOwner, rawToTracking, trackingToRaw, viewTarget } from './registry';
import { trackingFactory } from './tracking-builtins';
import { MirrorKind, releaseMirror } from './date-mirrors';
import { noteDerivedBytes } from './shared-bytes';
import { currentLog, refuseForeignUse, requireLog, setCurrentLog, UndoLog } from './undo';
import { TypedIndexEntry } from './undo-builtins';
import { keyLabel, unsupportedChange } from './violation';
import { PrevalenceError } from '../errors';
import { isPrototypeObject } from '../codec/kinds';
import { forgetRecentParent } from './views';

export { UndoLog } from './undo';
export { toRaw } from './registry';
export { unwrapDeep } from './unwrap';
export { exportValue, type ExportMode } from './export';

/**
 * Tracking proxies: `this` during an action and everything reached from it.
 * Reads pass through (object results come back tracked); writes go to the
 * raw object and record their undo in the current UndoLog. Changing the
 * prototype or extensibility of a state object is refused: neither is kept
 * by snapshots, and both would break read-only views of the object.
 */

/** The log beginTracking uses when given none (tests): one owner for all their proxies. */
const defaultLog = new UndoLog();

/**
 * Starts recording changes for one action, into `log` (emptied first), so a
 * runner reuses one log: a system's log is also the owner of its tracking
 * proxies (see handlersOf). Actions are synchronous; nesting is a bug.
 */
export function beginTracking(log = defaultLog): UndoLog {
  if (currentLog() !== null) {
    throw new Error('prevalent internal error: beginTracking() while another action is tracked');
  }
  log.reset();
  setCurrentLog(log);
  return log;
}

/**
 * Stops recording. Fresh values stored during the action are checked once
 * more (see recheckFresh): the proxies inside become raw objects, and what a
 * snapshot could not keep throws NOT_SERIALIZABLE (cost proportional to
 * those values).
 */
export function endTracking(): void {
  const log = currentLog();
  setCurrentLog(null);
  forgetRecentParent();
  const bypassed = releaseActionDates();
  if (log !== null) recheckFresh(log);
  if (bypassed) {
    throw unsupportedChange(
      'a Date setter borrowed and called on a stored Date (Date.prototype.setTime.call(this.when, t) or the like), which changes the Date object the action was handed and not the state,',
      'call the setter on the Date itself (this.when.setTime(t)); the action was undone',
    );
  }
}

/**
 * The tracking objects of Dates made during the running action, with their
 * raw Dates. A tracking object of a Date is a Date of its own (see
 * date-mirrors.ts), whose time a built-in setter borrowed onto it changes
 * unseen: made per action and let go of at its end, none outlives the
 * action that could have changed it, and the change is found there.
 */
const actionDates: Array<[raw: Date, mirror: Date]> = [];

/**
 * Lets go of the running action's Date tracking objects (see actionDates);
 * true when a borrowed setter changed one.
 */
function releaseActionDates(): boolean {
  let bypassed = false;
  for (const [raw, mirror] of actionDates) {
    rawToTracking.delete(raw);
    if (releaseMirror(raw, mirror)) bypassed = true;
  }
  actionDates.length = 0;
  return bypassed;
}

/**
 * The tracking proxy of an object (one per raw object); primitives, functions
 * and DateTimes as is. `owner` is the UndoLog of the system whose state holds
 * the object (default: the running action's).
 */
export function tracked<T>(value: T, owner: UndoLog | null = currentLog()): T {
  if (typeof value !== 'object' || value === null) return value;
  return (rawToTracking.get(value) ?? createTracked(value, owner)) as T;
}

/** The tracking proxy of `value`, read from the raw object `parent`: a new one gets the parent's owner. */
function wrap(value: unknown, parent: object): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return rawToTracking.get(value) ?? createTracked(value, ownerOf(parent));
}

/** The owner of `raw`'s tracking proxy, else the running action's log. */
function ownerOf(raw: object): UndoLog | null {
  return rawOwner.get(raw) ?? currentLog();
}

/**
 * Hands the tracking proxies of a closed system's state over to the system
 * that takes its instance (`root`): they answer to `owner` from now on.
 */
export function adoptState(root: object, owner: UndoLog): void {
  const previous = rawOwner.get(root)?.resolve();
  if (previous !== undefined && previous !== owner && previous.retired) previous.adoptedBy = owner;
}

/**
 * createTracked for an object reached from `parent` by a property read, a
 * Map lookup (`viaMap`) or as a Set member or Map key: also records where it
 * was found (see locate), and whether through a data slot (see
 * UndoLog.noteReachedClean). `slot`: 'data' when the value was read from
 * one (an element of a plain array, a Map entry, a Set member); 'read'
 * for a property read, which a getter may have answered.
 */
function createTrackedChild(
  value: object,
  parent: object,
  key: unknown,
  viaMap: boolean,
  owner: UndoLog | null,
  slot: 'data' | 'read',
): object {
  const proxy = createTracked(value, owner);
  if (proxy !== value) {
    recordReached(value, parent, key, viaMap);
    const log = currentLog();
    if (log !== null && (slot === 'data' || heldAsData(parent, key as PropertyKey, value))) {
      log.noteReachedClean(value, parent);
    }
  }
  return proxy;
}

/** Whether own data property `key` of `parent` holds `value` (not a getter, nor an inherited property). */
function heldAsData(parent: object, key: PropertyKey, value: object): boolean {
  const desc = Reflect.getOwnPropertyDescriptor(parent, key);
  return desc !== undefined && 'value' in desc && desc.value === value;
}

/** wrap for a value found in a Map or Set (see trackingFactory). */
function wrapChild(parent: object, key: unknown, viaMap: boolean, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return (
    rawToTracking.get(value) ??
    createTrackedChild(value, parent, key, viaMap, ownerOf(parent), 'data')
  );
}

function createTracked(value: object, owner: UndoLog | null = currentLog()): object {
  if (trackingToRaw.has(value)) return value;
  // An object the action stored as itself comes back as itself, as in plain
  // JavaScript (`this.items[0] === item`, Set and Map lookups by it): the
  // action made it (or took it from outside the state, see isFresh), so a
  // rollback has nothing to undo in it but its place, and the end-of-action
  // walk turns the proxies it holds into raw objects wherever they were put.
  if (currentLog()?.isFresh(value) === true) return value;
  const raw = viewTarget(value);
  if (raw !== undefined) return tracked(raw, owner);
  if (isPassThrough(value)) {
    rawToTracking.set(value, value);
    return value;
  }
  const kind = handlerKindOf(value);
  if (kind !== 'plain') tables[kind].register(value);
  // A prototype is no system's state: read-only, and owned by none (any system may read it).
  const prototype = isPrototypeObject(value);
  if (kind === 'date' && !prototype) return createTrackedDate(value as Date, owner);
  const handlers = handlersOf(prototype ? null : owner);
  // A Date here is a prototype (its tracking object is a Date of its own, above).
  const handler =
    prototype || kind === 'date'
      ? handlers.prototype
      : Array.isArray(value)
        ? handlers.array
        : handlers.kinds[kind];
  const proxy = new Proxy(value, handler);
  rawToTracking.set(value, proxy);
  trackingToRaw.set(proxy, value);
  if (owner !== null && !prototype) rawOwner.set(value, owner);
  currentLog()?.noteTracked(value);
  return proxy;
}

/** Wrappers of @abortOnException methods called from inside an action (see nestedCall). */
const savepoints = new WeakMap<Fn, Fn>();

/**
 * A method as an action sees it on a state object: an @abortOnException
 * method runs as a savepoint, its own changes undone when it throws, even
 * if the caller catches the exception and carries on; any other as it is.
 */
function nestedCall(fn: Fn): Fn {
  if (!hasFlag(fn, 'abortOnException')) return fn;
  let wrapper = savepoints.get(fn);
  if (wrapper === undefined) {
    wrapper = function (this: unknown, ...args: unknown[]) {
      const log = currentLog();
      if (log === null) return Reflect.apply(fn, this, args);
      const mark = log.mark();
      try {
        return Reflect.apply(fn, this, args);
      } catch (error) {
        log.rollbackTo(mark);
        throw error;
      }
    };
    Object.defineProperty(wrapper, 'name', { value: fn.name });
    savepoints.set(fn, wrapper);
  }
  return wrapper;
}

const arrayPaths = arrayFastPaths((raw, _index, value) => wrap(value, raw));
/**
 * The mutators' fast paths, in arrayPaths too (one lookup per method read),
 * handed out only for an array holding plain elements: elsewhere the
 * built-in itself, as before, since a wrapper calling it again would put the
 * arguments on the stack twice (an `unshift(...items)` of 80k values
 * overflowed it).
 */
const mutatorPaths = new Set<Fn>();
for (const [original, fast] of arrayMutatorPaths((raw, index, value) =>
  typeof value !== 'object' || value === null
    ? value
    : (rawToTracking.get(value) ??
      createTrackedChild(value, raw, String(index), false, ownerOf(raw), 'data')),
)) {
  arrayPaths.set(original, fast);
  mutatorPaths.add(fast);
}

const tables = builtinTables((kind) => trackingFactory(kind, { wrap, wrapChild }));

/**
 * The tracking object of a Date: a real Date (see date-mirrors.ts). Its
 * prototype holds the tracking wrappers of the built-ins (a setter changes
 * the raw Date, recording its undo, and sets the Date's mirrors; reads run
 * on the raw Date) behind the traps below, which do what a tracking
 * proxy's get and set traps do.
 */
const trackedDates = new MirrorKind(
  tables.date,
  (_key, entry) => {
    const getter = entry.getter;
    if (getter === undefined) return { value: entry.wrapper, writable: true };
    return {
      get(this: object) {
        const raw = trackingToRaw.get(this) ?? this;
        return wrap(getter.call(raw), raw);
      },
    };
  },
  {
    get(members, key, receiver) {
      const raw = trackingToRaw.get(receiver as object);
      if (raw === undefined) return Reflect.get(members, key, receiver);
      checkDateOwner(raw, 'reading', key);
      // The raw Date's own property (a helper an action defined), else the members and the chain.
      const value: unknown = Reflect.get(hasOwn.call(raw, key) ? raw : members, key, receiver);
      if (typeof value !== 'object' || value === null) {
        return typeof value === 'function' ? nestedCall(value as Fn) : value;
      }
      return (
        rawToTracking.get(value) ?? createTrackedChild(value, raw, key, false, ownerOf(raw), 'read')
      );
    },
    set(members, key, value, receiver) {
      const raw = trackingToRaw.get(receiver as object);
      if (raw === undefined) return Reflect.set(members, key, value, receiver);
      checkDateOwner(raw, 'assigning', key);
      return setTracked(raw, key, value, receiver as object, true);
    },
  },
);

const hasOwn = Object.prototype.hasOwnProperty;

function createTrackedDate(raw: Date, owner: UndoLog | null): Date {
  const mirror = trackedDates.make(raw);
  actionDates.push([raw, mirror]);
  rawToTracking.set(raw, mirror);
  trackingToRaw.set(mirror, raw);
  if (owner !== null) rawOwner.set(raw, owner);
  currentLog()?.noteTracked(raw);
  return mirror;
}

/** The check of a tracking proxy's handlers (see makeHandlers), for the tracking object of the raw Date `raw`. */
function checkDateOwner(raw: object, what: string, key: PropertyKey): void {
  const running = currentLog();
  if (running === null) return;
  const owner = rawOwner.get(raw);
  if (owner === undefined || owner === running) return;
  const current = owner.resolve();
  if (current !== running && !current.retired) refuseForeignUse(running, what, key);
}

/** The handlers of the tracking proxies of one system's state. */
interface HandlerSet {
  array: ProxyHandler<object>;
  kinds: Record<Exclude<Kind, 'date'>, ProxyHandler<object>>;
  /** A prototype reached through the state (`this.dict['__proto__']`): read, never changed. */
  prototype: ProxyHandler<object>;
}

/**
 * Each system's proxies get handlers of their own, made for its UndoLog (the
 * owner), so a proxy can tell when it is used inside another system's action
 * (kept in a variable from one of its own system's actions) and refuse it:
 * one comparison per trap. Proxies made outside any action with no known
 * owner get the unowned set, which checks nothing.
 */
const handlerSets = new WeakMap<UndoLog, HandlerSet>();
const unownedHandlers = makeHandlers(null);

function handlersOf(owner: UndoLog | null): HandlerSet {
  if (owner === null) return unownedHandlers;
  let set = handlerSets.get(owner);
  if (set === undefined) {
    set = makeHandlers(owner);
    handlerSets.set(owner, set);
  }
  return set;
}

function makeHandlers(owner: UndoLog | null): HandlerSet {
  /** Refuses this use when an action of another system than the owner runs. */
  const check = (what: string, key?: PropertyKey): void => {
    const running = currentLog();
    if (running !== owner && running !== null && owner !== null) {
      const current = owner.resolve();
      if (current !== running && !current.retired) refuseForeignUse(running, what, key);
    }
  };

  const plain: ProxyHandler<object> = {
    get(target, key, receiver) {
      check('reading', key);
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'object' || value === null) {
        return typeof value === 'function' ? nestedCall(value as Fn) : value;
      }
      return (
        rawToTracking.get(value) ?? createTrackedChild(value, target, key, false, owner, 'read')
      );
    },
    set(target, key, value, receiver) {
      check('assigning', key);
      if (receiver !== rawToTracking.get(target)) return Reflect.set(target, key, value, receiver);
      return setTracked(target, key, value, receiver as object);
    },
    defineProperty(target, key, desc) {
      check('defining', key);
      return defineTracked(target, key, desc);
    },
    deleteProperty(target, key) {
      check('deleting', key);
      return deleteTracked(target, key);
    },
    has(target, key) {
      check('asking for', key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      check('listing the keys of');
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      check('reading', key);
      const desc = Reflect.getOwnPropertyDescriptor(target, key);
      if (desc !== undefined && desc.configurable && 'value' in desc) {
        desc.value = wrap(desc.value, target);
      }
      return desc;
    },
    setPrototypeOf() {
      throw unsupportedChange(
        'changing the prototype of a state object',
        'store a new object instead',
      );
    },
    preventExtensions() {
      throw unsupportedChange(
        'freezing, sealing or preventing extensions of a state object',
        'keep state objects extensible and expose read-only access through @readonly methods',
      );
    },
  };

  // Writes to an array or a built-in: the same, told that named properties
  // there are ones the encodings refuse.
  const builtinWrites: ProxyHandler<object> = {
    set(target, key, value, receiver) {
      check('assigning', key);
      if (receiver !== rawToTracking.get(target)) return Reflect.set(target, key, value, receiver);
      return setTracked(target, key, value, receiver as object, true);
    },
    defineProperty(target, key, desc) {
      check('defining', key);
      return defineTracked(target, key, desc, true);
    },
  };

  const array: ProxyHandler<object> = {
    ...plain,
    ...builtinWrites,
    get(target, key, receiver) {
      check('reading', key);
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value === 'function') {
        const fast = arrayPaths.get(value);
        if (fast === undefined) return nestedCall(value as Fn);
        if (mutatorPaths.has(fast) && !holdsPlainElements(target as unknown[])) return value;
        return fast;
      }
      if (typeof value !== 'object' || value === null) return value;
      return (
        rawToTracking.get(value) ?? createTrackedChild(value, target, key, false, owner, 'read')
      );
    },
  };

  function builtin(table: BuiltinTable): ProxyHandler<object> {
    return {
      ...plain,
      ...builtinWrites,
      get(target, key, receiver) {
        const entry = table.find(target, key);
        if (entry === undefined) return plain.get!(target, key, receiver);
        check('reading', key);
        if (entry.getter === undefined) return entry.wrapper;
        const value: unknown = entry.getter.call(target);
        noteDerivedBytes(value, target);
        return wrap(value, target);
      },
    };
  }

  const typed: ProxyHandler<object> = {
    ...builtin(tables.typed),
    set(target, key, value, receiver) {
      if (!isNumericKey(key)) return builtinWrites.set!(target, key, value, receiver);
      check('writing element', key);
      const log = requireLog(`writing element ${key} of a typed array`);
      const array = target as unknown as Record<string, unknown>;
      const old = array[key];
      // Out-of-range indices are ignored by typed arrays; nothing to record then.
      if (old !== undefined && !Object.is(old, value))
        log.push(new TypedIndexEntry(array, key, old));
      array[key] = value;
      return true;
    },
  };

  const refuseOnPrototype = (target: object, what: string, key?: PropertyKey): never => {
    check(what, key);
    const name = (target as { constructor: { name?: string } }).constructor.name || 'a class';
    const change = key === undefined ? what : `${what} ${keyLabel(key)}`;
    throw new PrevalenceError(
      'READONLY_VIOLATION',
      `${change} on ${name}.prototype, reached through the state by a key such as "__proto__" or "constructor" (perhaps one from a request): a prototype is not state, and a change to it would reach every object of its class outside the journal; key dictionaries that take outside keys with a Map or an Object.create(null) object`,
    );
  };
  const prototype: ProxyHandler<object> = {
    ...plain,
    set: (target, key) => refuseOnPrototype(target, 'assigning', key),
    defineProperty: (target, key) => refuseOnPrototype(target, 'defining', key),
    deleteProperty: (target, key) => refuseOnPrototype(target, 'deleting', key),
    setPrototypeOf: (target) => refuseOnPrototype(target, 'changing the prototype of'),
    preventExtensions: (target) => refuseOnPrototype(target, 'freezing'),
  };

  return {
    array,
    prototype,
    kinds: {
      plain,
      map: builtin(tables.map),
      set: builtin(tables.set),
      typed,
      dataview: builtin(tables.dataview),
      arraybuffer: builtin(tables.arraybuffer),
      regexp: builtin(tables.regexp),
    },
  };
}
