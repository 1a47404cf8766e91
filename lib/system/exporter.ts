import { types } from 'node:util';
import {
  eachEntry,
  eachMember,
  entryList,
  memberList,
  refillMap,
  refillSet,
} from '../codec/raw-iteration';
import type { DomainMethod } from './runner';
import { isPrevalenceError, PrevalenceError } from '../errors';
import type { ClassRegistry } from '../codec/registry';
import { CopyInstead, decodeTree, encodeTree, type Encoded } from '../codec/tree';
import { deepCopy } from '../codec/copy';
import { exportValue, toRaw, tracked, unwrapDeep } from '../isolation/tracking';
import type { UndoLog } from '../isolation/tracking';
import { isView, linkTop, locate, resolvePath, viewOf } from '../isolation/views';
import { inGetter } from '../isolation/violation';
import { hasLink, isDetached, markDetached, pathInState } from '../isolation/paths';
import { handlerKindOf } from '../isolation/kinds';
import { isDerivedBytes } from '../isolation/shared-bytes';
import {
  isTracking,
  openRoots,
  rawOwner,
  rawToTracking,
  rawToView,
  viewTarget,
} from '../isolation/registry';
import type { PathStep } from '../isolation/views';
import type { Isolation } from './options';

/** Raw roots of closed systems (a view of their state is neither this state's nor a live one's). */
const closedRoots = new WeakSet<object>();
/** The system proxy → its raw root, for every system (a proxy passed as an argument stands for its root). */
// Null once the system closed: a closed system object the program still holds
// keeps no reference to the state.
const proxyRoots = new WeakMap<object, object | null>();

/** Notes that the system with raw root `root` and proxy `proxy` is open (until {@link closedRoot}). */
export function openedRoot(root: object, proxy: object): void {
  openRoots.add(root);
  proxyRoots.set(proxy, root);
}

/**
 * The instances given to initSystem that stand for a system object now (see
 * handed-over.ts), by that object. Weakly: a closed system object the
 * program keeps must not keep them, and the state they stand for, alive.
 */
const aliasesOf = new WeakMap<
  object,
  Array<{ ref: WeakRef<object>; closed: (alias: object) => void }>
>();

/** Notes that the system object `proxy` was closed: it lets go of its root, and so do its aliases. */
export function closedSystemObject(proxy: object): void {
  proxyRoots.set(proxy, null);
  for (const alias of aliasesOf.get(proxy) ?? []) {
    const instance = alias.ref.deref();
    if (instance === undefined) continue;
    proxyRoots.set(instance, null);
    alias.closed(instance);
  }
}

/** An instance given to initSystem → the system object it stands for (see aliasSystemObject). */
const aliasedProxy = new WeakMap<object, object>();

/**
 * Notes that `alias` (an instance given to initSystem) stands for the
 * system object `proxy` from now on: passed as an argument, it is that
 * system object, as the system object itself would be. `closed(alias)` runs
 * when that system closes (given the alias: nothing here holds it strongly).
 */
export function aliasSystemObject(
  alias: object,
  proxy: object,
  closed: (alias: object) => void,
): void {
  proxyRoots.set(alias, proxyRoots.get(proxy) ?? null);
  aliasedProxy.set(alias, proxy);
  const entry = { ref: new WeakRef(alias), closed };
  const aliases = aliasesOf.get(proxy);
  if (aliases === undefined) aliasesOf.set(proxy, [entry]);
  else aliases.push(entry);
}

/** True for an instance given to initSystem that stands for a system object (open or closed): see handed-over.ts. */
export function isGivenInstance(value: object): boolean {
  return aliasedProxy.has(value);
}

/** The raw root of the system object `value`: null when it is closed, undefined when `value` is no system object. */
export function rootOfSystemObject(value: object): object | null | undefined {
  return proxyRoots.get(value);
}

/** True for an object initSystem returned (a system object, open or closed). */
export function isSystemObject(value: object): boolean {
  return proxyRoots.has(value);
}

/** True while `root` is the raw root of an open system. */
export function isOpenRoot(root: object): boolean {
  return openRoots.has(root);
}

/** Notes that the system with raw root `root` was closed. */
export function closedRoot(root: object): void {
  openRoots.delete(root);
  closedRoots.add(root);
}

/**
 * The refusal of a closed system object met in a live call's arguments (it
 * holds no state to pass), or of an instance given to initSystem standing for
 * one (which keeps the state, for a new initSystem).
 */
function closedArgument(obj: object): PrevalenceError {
  if (aliasedProxy.has(obj)) {
    return new PrevalenceError(
      'CLOSED',
      'the instance passed as an argument was given to initSystem, and that system has been closed since: it answers for no open system; give it to initSystem again (a new system starts from the state it had) and pass that, or pass a value read from an open system',
    );
  }
  return new PrevalenceError(
    'CLOSED',
    'the system object passed as an argument has been closed, and let go of its state: pass an open system, or a value read from one',
  );
}

/**
 * How a class instance met in a live call's arguments is journaled in
 * 'clone' and 'none' isolation: as itself (a system object is copied as read
 * through it, and an instance given to initSystem as the system object it
 * stands for), but a closed system object, which lists no properties, is
 * CLOSED.
 */
function refuseClosedSystemObject(obj: object): object | undefined {
  if (proxyRoots.get(obj) === null) throw closedArgument(obj);
  return aliasedProxy.get(obj);
}

/** What 'clone' isolation copies for a caller: a closed system object is CLOSED, not an empty copy. */
function refuseClosedSystemCopy(obj: object): void {
  if (proxyRoots.get(obj) !== null) return;
  throw new PrevalenceError(
    'CLOSED',
    'a query or action result holds a system object that has been closed and let go of its state, so there is nothing to copy: return an open system, or data read from one',
  );
}

/**
 * How an object met in a live call's arguments is journaled in readonly
 * isolation: the system proxy as the root, a view of this state by its path
 * (STALE_REFERENCE when it left the state), a view of another open system's
 * state as a copy of its object, a closed system object as CLOSED,
 * anything else as itself.
 */
function referenceTo(obj: object, root: object): Encoded | CopyInstead | undefined {
  const proxied = proxyRoots.get(obj);
  if (proxied === null) throw closedArgument(obj);
  if (proxied !== undefined)
    return proxied === root ? { $: 'path', p: [] } : new CopyInstead(proxied);
  const raw = viewTarget(obj);
  if (raw === undefined) return undefined;
  if (isDetached(raw)) {
    // From an action's result the state did not hold: copied, with the state
    // objects in it by their paths. The mark is a guess made when the view
    // was created (an object nested in one the action stored has no link of
    // its own), so the state is asked first.
    const found = pathInState(raw, root);
    return found !== undefined ? { $: 'path', p: found } : new CopyInstead(copySource(obj, raw));
  }
  // Another open system's object: known by the owner of its tracking proxy, else by its place.
  const owner = rawOwner.get(raw)?.resolve();
  if (owner !== undefined && !owner.retired && owner.root !== undefined && owner.root !== root) {
    return new CopyInstead(raw);
  }
  const top = linkTop(raw);
  if (top !== root && openRoots.has(top)) return new CopyInstead(raw);
  if (top !== root && closedRoots.has(top)) {
    // Also held by this state (an object a closed system had, given to this
    // one): its view still names the closed system's place.
    const found = pathInState(raw, root);
    if (found !== undefined) return { $: 'path', p: found };
    throw new PrevalenceError(
      'STALE_REFERENCE',
      'the object passed as an argument was read from a system that has been closed since (an open system restores its state as new objects): read it again from an open system',
    );
  }
  if (isDerivedBytes(raw)) {
    // A subarray() or slice of a Buffer view: a new array over the state's
    // memory, not a state object, unless the state holds it too. Copied, as
    // any value from outside the state is.
    const found = pathInState(raw, root);
    return found !== undefined ? { $: 'path', p: found } : new CopyInstead(raw);
  }
  return { $: 'path', p: locate(obj, root) };
}

/**
 * What the encoder copies for a detached view: the view itself where the
 * copy reads children through it (so state objects inside come out as views,
 * journaled by path), the raw object for built-ins whose contents hold no
 * objects and whose methods need the real receiver (Date, RegExp, buffers).
 */
function copySource(view: object, raw: object): object {
  const kind = handlerKindOf(raw);
  return kind === 'plain' || kind === 'map' || kind === 'set' ? view : raw;
}

/**
 * Applies the isolation mode at the system's boundary: what callers get from
 * actions, queries and property reads, and how a view passed back as an
 * argument is journaled (by its place in the state, never as a copy).
 */
export class Exporter {
  readonly #live: Parameters<typeof encodeTree>[1];
  readonly #replay: Parameters<typeof decodeTree>[1];
  readonly #root: object;

  constructor(
    readonly isolation: Isolation,
    private readonly registry: ClassRegistry,
    root: object,
    /** The system's undo log: the owner of the tracking proxies of state objects passed back. */
    owner: UndoLog | null = null,
  ) {
    this.#root = root;
    this.#live =
      isolation === 'readonly'
        ? {
            registry,
            external: (obj: object) => referenceTo(obj, root),
          }
        : { registry, checkInstance: refuseClosedSystemObject };
    const view = viewOf(root);
    this.queryThis = isolation === 'readonly' ? view : isolation === 'none' ? root : undefined;
    this.runQuery =
      isolation === 'readonly'
        ? (method, args) => Reflect.apply(method, view, args)
        : isolation === 'none'
          ? (method, args) => Reflect.apply(method, root, args)
          : (method, args) => this.#cloneQuery(method, view, args);
    // As runQuery, but never on the raw root.
    this.runUnmarkedQuery =
      isolation === 'none' ? (method, args) => Reflect.apply(method, view, args) : this.runQuery;
    this.#replay = {
      registry,
      resolveExternal: (tagged: { $: 'path'; [k: string]: unknown }) =>
        tracked(resolvePath(root, tagged['p'] as PathStep[]), owner),
    };
  }

  /** How arguments of a live call are encoded for the journal. */
  get liveContext(): Parameters<typeof encodeTree>[1] {
    return this.#live;
  }

  /** How journaled arguments are decoded, live (the copy the method runs on) and in replay. */
  get replayContext(): Parameters<typeof decodeTree>[1] {
    return this.#replay;
  }

  /**
   * Runs a query in 'clone' isolation: its result copied (see cloneResult),
   * and what it throws given copies in place of the views it holds, as an
   * action's throw is (see fromThrow).
   */
  #cloneQuery(method: DomainMethod, view: object, args: ArrayLike<unknown>): unknown {
    let result: unknown;
    try {
      result = Reflect.apply(method, view, args);
    } catch (err) {
      throw this.#copiesInThrow(err);
    }
    try {
      return this.cloneResult(result, method.name);
    } catch (err) {
      throw uncopiedResult(method.name, err, '');
    }
  }

  /** What a query threw, with the views it holds (itself, its own properties, a Map's or Set's entries) copied. */
  #copiesInThrow(error: unknown): unknown {
    if (typeof error !== 'object' || error === null) return error;
    try {
      // Inside: `instanceof` asks a revoked Proxy for its prototype, and throws.
      if (error instanceof PrevalenceError) return error;
      return this.#protectThrown(error, isView);
    } catch {
      return error; // a proxy that throws when looked at (revoked, foreign): the query's own error stands
    }
  }

  /**
   * What a query gives in 'clone' isolation: a deep copy, or for an iterator
   * (a generator method, `[Symbol.iterator]`), an iterator of deep copies:
   * the iterator itself holds the state and cannot be copied.
   */
  cloneResult(result: unknown, name: string): unknown {
    // A value copied later (promised or yielded) fails naming the query, as one returned does.
    const cloneLater = (value: unknown): unknown => {
      try {
        return this.clone(unwrapDeep(value));
      } catch (err) {
        throw uncopiedResult(name, err, '');
      }
    };
    if (types.isPromise(result)) {
      return result.then(cloneLater, (err: unknown) => {
        throw this.#copiesInThrow(err);
      });
    }
    const copy = (r: IteratorResult<unknown>): IteratorResult<unknown> =>
      r.done ? r : { done: false, value: cloneLater(r.value) };
    if (isAsyncIterator(result)) {
      // What the generator throws gets copies too; a rejection is the throw of an async step.
      const step = async (run: () => Promise<IteratorResult<unknown>>) => {
        let r: IteratorResult<unknown>;
        try {
          r = await run();
        } catch (err) {
          throw this.#copiesInThrow(err);
        }
        return copy(r);
      };
      return {
        next: (...args: [] | [unknown]) => step(() => result.next(...args)),
        return: async (value?: unknown) => (await result.return?.(value)) ?? { done: true, value },
        throw: (err: unknown) =>
          result.throw === undefined
            ? Promise.reject(err as Error)
            : step(() => result.throw!(err)),
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    }
    if (!isIterator(result)) return this.clone(unwrapDeep(result));
    const step = (run: () => IteratorResult<unknown>): IteratorResult<unknown> => {
      let r: IteratorResult<unknown>;
      try {
        r = run();
      } catch (err) {
        throw this.#copiesInThrow(err);
      }
      return copy(r);
    };
    return {
      next: (...args: [] | [unknown]) => step(() => result.next(...args)),
      // An early `break` closes the method's generator too (its `finally` runs).
      return: (value?: unknown): IteratorResult<unknown> =>
        result.return?.(value) ?? { done: true, value },
      // As a generator's own throw(): raised where it is suspended, which may catch it.
      throw: (err: unknown): IteratorResult<unknown> => {
        if (result.throw === undefined) throw err;
        return step(() => result.throw!(err));
      },
      [Symbol.iterator]() {
        return this;
      },
    };
  }

  /**
   * A deep copy by the journal's own encoding rules (what its tree codec
   * would restore), at any depth: made without recursion (lib/codec/copy.ts).
   */
  clone(value: unknown): unknown {
    return deepCopy(value, this.registry, refuseClosedSystemCopy);
  }

  /** What the caller of an action gets; `undo` is the action's log (where it stored fresh objects). */
  fromAction(result: unknown, undo: UndoLog): unknown {
    switch (this.isolation) {
      case 'readonly': {
        // A view of what the action returned may be passed back as an
        // argument: record where the objects it stored sit, so locate() finds
        // them by path, not by searching the state.
        if (typeof result === 'object' && result !== null) undo.linkFresh();
        // An object the action created and stored is raw, not a proxy: it
        // must still reach the caller as a view, or the caller could change
        // the state behind the journal's back.
        const value = exportValue(result, 'readonly');
        if (typeof value !== 'object' || value === null || isView(value)) return value;
        // Neither stored by the action nor found in the state: an object the
        // action built for its caller, copied when passed back.
        if (!hasLink(value) && value !== this.#root) markDetached(value);
        return viewOf(value);
      }
      case 'none':
        return exportValue(result, 'none');
      case 'clone':
        return this.clone(exportValue(result, 'none'));
    }
  }

  /**
   * What the caller of an action that threw (and was journaled) gets. In
   * 'readonly' and 'clone' isolation, what is thrown must not hand out the
   * objects the action stored, which it holds raw (the return path makes its
   * result a view for the same reason). A state object thrown is thrown as
   * its view (a copy in 'clone' isolation, where it can be copied). Anything
   * else (an Error, usually) is thrown itself, with those of its own
   * properties (and, for a Map or Set, entries) that hold a state object
   * given its view (copy) in place. Nothing deeper is touched: the objects
   * below may be the caller's or a module's, which a replay, which throws
   * them untouched, must find as the live run left them; so a state object
   * the action stored and the error holds only deeper (`err.details.account`)
   * reaches the caller raw, as do one held by a read-only property and one
   * an own getter returns (README). The tracking proxies the error holds
   * (what the action reached through `this`) become views, copies, or in
   * 'none' the raw objects, as the isolation mode says, also when the action
   * stored nothing or was rolled back; an Error's `stack` is not read.
   * Anything that fails while looking (a revoked proxy) leaves the error as
   * it was.
   */
  fromThrow(error: unknown, undo: UndoLog): unknown {
    if (typeof error !== 'object' || error === null) return error;
    try {
      // Inside: `instanceof` asks a revoked Proxy for its prototype, and
      // throws, which reached the caller of a journaled action (review).
      if (error instanceof PrevalenceError) return error;
      if (isTracking(error)) return this.protectedCopy(error);
      if (undo.freshCount !== 0) undo.linkFresh();
      const stored = storedDuring(undo);
      return this.#protectThrown(
        error,
        (obj) => !isView(obj) && (isStateObject(obj) || stored.has(obj)),
      );
    } catch {
      // A proxy that throws when looked at (revoked, foreign): the action's own error stands.
      return error;
    }
  }

  /**
   * `error` itself protected (see protectedCopy) when `isState` says it is
   * state; else `error`, with its own properties and, for a Map or Set, its
   * entries protected in place where they are state. Nothing deeper.
   */
  #protectThrown(error: object, isState: (obj: object) => boolean): unknown {
    if (isState(error)) return this.protectedCopy(error);
    const swap = (value: unknown): unknown =>
      typeof value === 'object' && value !== null && isState(value)
        ? this.protectedCopy(value)
        : value;
    if (types.isMap(error) || types.isSet(error)) {
      replaceInCollection(error as Map<unknown, unknown> | Set<unknown>, swap);
    }
    for (const key of Reflect.ownKeys(error)) {
      // Reading an Error's `stack` would format it (user prepareStackTrace, source maps).
      if (key === 'stack') continue;
      const desc = Reflect.getOwnPropertyDescriptor(error, key);
      if (desc === undefined || !('value' in desc)) continue;
      const next = swap(desc.value);
      if (next !== desc.value) Reflect.defineProperty(error, key, { value: next });
    }
    return error;
  }

  /**
   * What a state object met in a thrown value becomes: the raw object
   * ('none'), a copy ('clone', when it can be copied), else its view.
   */
  private protectedCopy(obj: object): object {
    if (this.isolation === 'none') return toRaw(obj) as object;
    if (this.isolation === 'clone') {
      try {
        return this.clone(exportValue(obj, 'none')) as object;
      } catch {
        // Not copyable (a function inside, an unregistered class): a view still protects the state.
      }
    }
    return viewOf(toRaw(obj));
  }

  /**
   * What `this` is for a `@readonly` method when its result needs no
   * conversion ('none': the root, 'readonly': the root's view), so the system
   * proxy can call it directly; undefined for 'clone'.
   */
  readonly queryThis: object | undefined;

  /** Runs a `@readonly` method as the isolation mode says (chosen once, not per call). */
  readonly runQuery: (method: DomainMethod, args: ArrayLike<unknown>) => unknown;

  /**
   * Runs a method that is a query without being marked `@readonly` (symbol
   * key, or a language hook such as `toString`): on the root's view in every
   * mode, `'none'` too, so a change it tries is refused (its result copied in
   * `'clone'`).
   */
  readonly runUnmarkedQuery: (method: DomainMethod, args: ArrayLike<unknown>) => unknown;

  readProperty(root: object, view: object, key: PropertyKey): unknown {
    // Installed as its five methods already (see installClock).
    if (key === '_clock') return Reflect.get(root, key);
    switch (this.isolation) {
      case 'readonly':
        return Reflect.get(view, key);
      case 'none':
        return Reflect.get(root, key);
      case 'clone': {
        // A getter runs with the view as `this`: a change it tries is refused.
        let value: unknown;
        try {
          value = Reflect.get(root, key, view);
        } catch (err) {
          throw inGetter(err, key);
        }
        // A function a getter gives is no state to copy. What a getter built
        // may hold views of state objects at any depth, as a query's result may.
        return typeof value === 'function' ? value : this.clone(unwrapDeep(value));
      }
    }
  }
}

/**
 * What the caller of `name` gets when 'clone' isolation could not copy its
 * result (`err`, a NOT_SERIALIZABLE; any other error as it is); `what`
 * says what became of the call, e.g. that an action was rolled back.
 */
export function uncopiedResult(name: string, err: unknown, what: string): unknown {
  if (!isPrevalenceError(err, 'NOT_SERIALIZABLE')) return err;
  return new PrevalenceError(
    'NOT_SERIALIZABLE',
    `${name}() returned what 'clone' isolation cannot copy for the caller (${err.message.replace(/^NOT_SERIALIZABLE: /, '')})${what}: return data, or ids`,
    { cause: err },
  );
}

/**
 * True for a state object or its tracking proxy: one reached through the
 * membrane (it has a tracking proxy or a view), or one an action stored (it
 * has a recorded place once the action's fresh objects are linked). Views
 * are the callers' to test: the state never holds one.
 */
function isStateObject(value: object): boolean {
  return isTracking(value) || rawToTracking.has(value) || rawToView.has(value) || hasLink(value);
}

/**
 * The objects an action stored fresh, and everything they hold: state objects
 * now, though only the top ones have a recorded place. Walked without
 * entering objects that were state before (cost proportional to what the
 * action stored).
 */
function storedDuring(undo: UndoLog): Set<object> {
  const found = new Set<object>();
  const stack: object[] = [];
  for (let i = 0; i < undo.freshCount; i++) stack.push(undo.freshAt(i));
  for (let i = 0; i < undo.movedCount; i++) stack.push(undo.movedAt(i));
  for (let obj = stack.pop(); obj !== undefined; obj = stack.pop()) {
    if (found.has(obj)) continue;
    found.add(obj);
    forEachHeld(obj, (value) => {
      if (!found.has(value) && !isStateObject(value)) stack.push(value);
    });
  }
  return found;
}

/**
 * Calls `visit` with every object `obj` holds: array elements, own data
 * properties, Map entries, Set members. Binary data, Dates and RegExps hold
 * none worth a look (their indices are numbers), and an array's named
 * properties are refused when it is stored.
 */
function forEachHeld(obj: object, visit: (value: object) => void): void {
  const held = (value: unknown): void => {
    if (typeof value === 'object' && value !== null) visit(value);
  };
  if (ArrayBuffer.isView(obj) || types.isAnyArrayBuffer(obj) || types.isDate(obj)) return;
  if (types.isRegExp(obj)) return;
  if (Array.isArray(obj)) {
    // Elements only: named properties of a stored array are refused anyway.
    for (let i = 0; i < obj.length; i++) held(obj[i]);
    return;
  }
  // By the built-ins taken at load (see raw-iteration.ts): the collection may be the state's.
  if (types.isMap(obj)) {
    eachEntry(obj as Map<unknown, unknown>, (v, k) => {
      held(k);
      held(v);
    });
  } else if (types.isSet(obj)) {
    eachMember(obj as Set<unknown>, held);
  }
  for (const key of Reflect.ownKeys(obj)) {
    const desc = Reflect.getOwnPropertyDescriptor(obj, key);
    if (desc !== undefined && 'value' in desc) held(desc.value);
  }
}

/** Replaces the entries of a Map or the members of a Set by `swap`, keeping their order (freezing does not lock them). */
function replaceInCollection(
  coll: Map<unknown, unknown> | Set<unknown>,
  swap: (value: unknown) => unknown,
): void {
  // Index loops over lists without a prototype and the built-ins taken at load (see
  // raw-iteration.ts): the entries may be the state's objects.
  if (types.isMap(coll)) {
    const entries = entryList(coll as Map<unknown, unknown>);
    const n = entries.length;
    let changed = false;
    for (let i = 0; i < n; i++) {
      const entry = entries[i]!;
      const k = swap(entry[0]);
      const v = swap(entry[1]);
      if (k !== entry[0] || v !== entry[1]) changed = true;
      entry[0] = k;
      entry[1] = v;
    }
    if (changed) refillMap(coll, entries);
  } else {
    const members = memberList(coll as Set<unknown>);
    const n = members.length;
    let changed = false;
    for (let i = 0; i < n; i++) {
      const m = swap(members[i]);
      if (m !== members[i]) changed = true;
      members[i] = m;
    }
    if (changed) refillSet(coll, members);
  }
}

/** True for an object with `next()` and the method `protocol` names (Symbol.iterator or Symbol.asyncIterator). */
function hasIteratorShape(value: unknown, protocol: symbol): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { next?: unknown }).next === 'function' &&
    typeof (value as Record<symbol, unknown>)[protocol] === 'function'
  );
}

function isAsyncIterator(value: unknown): value is AsyncIterator<unknown> {
  return hasIteratorShape(value, Symbol.asyncIterator);
}

function isIterator(value: unknown): value is Iterator<unknown> {
  return hasIteratorShape(value, Symbol.iterator);
}
