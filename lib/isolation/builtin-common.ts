import { IN_COLLECTION } from './paths';
import { trackingToRaw, viewTarget } from './registry';
import { currentLog, refuseHeldView } from './undo';
import { putBackEpoch, putBackSince } from './reinsertion';
import { appendOwn } from './own-array';

/** A function as built-in methods and their wrappers are typed here. */
export type Fn = (...args: unknown[]) => unknown;

/** The raw object behind `self` (a tracking proxy, a view or already raw). */
export function readRaw(self: unknown): any {
  if (typeof self !== 'object' || self === null) return self;
  return trackingToRaw.get(self) ?? viewTarget(self) ?? self;
}

/**
 * readRaw, looking up views first (the common case in view wrappers). A
 * view's method called inside a live action (taken from the view before
 * it) is refused, as any use of a kept view there (see refuseHeldView).
 */
export function viewRaw(self: unknown): any {
  if (typeof self !== 'object' || self === null) return self;
  const raw = viewTarget(self);
  if (raw === undefined) return trackingToRaw.get(self) ?? self;
  refuseViewInAction('calling a method of');
  return raw;
}

/** Refuses a use (`use`, e.g. "passing") of a read-only view inside a live action (see refuseHeldView); nothing outside actions. */
export function refuseViewInAction(use: string): void {
  const running = currentLog();
  if (running !== null) refuseHeldView(running, use);
}

/**
 * The raw object behind an argument of a built-in method: a tracking
 * proxy's or a view's target, else the value. A view passed inside a live
 * action was kept in a variable and is refused (see refuseHeldView).
 */
export function argToRaw(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const tracked = trackingToRaw.get(value);
  if (tracked !== undefined) return tracked;
  const raw = viewTarget(value);
  if (raw === undefined) return value;
  refuseViewInAction('passing');
  return raw;
}

/** Replaces proxies among the (fresh) argument array by their raw targets, shallowly (see argToRaw). */
export function rawArgs(args: unknown[]): unknown[] {
  for (let i = 0; i < args.length; i++) args[i] = argToRaw(args[i]);
  return args;
}

/**
 * A typed-array method with a callback: it runs on the raw array, and the
 * callback sees the proxy (`this` of the call), not the raw array, as its
 * array argument, so it cannot write around the membrane.
 */
export function callbackWrapper(
  original: Fn,
  arrayArg: number,
  out: (result: unknown, raw: object) => unknown,
): Fn {
  return function (this: unknown, cb: unknown, ...rest: unknown[]) {
    const raw = readRaw(this);
    const fn = typeof cb === 'function' ? substituteArray(cb as Fn, arrayArg, raw, this) : cb;
    return out(original.call(raw, fn, ...rest), raw);
  };
}

/** `cb`, but seeing `proxy` where the built-in passes the raw array. */
function substituteArray(cb: Fn, arrayArg: number, raw: unknown, proxy: unknown): Fn {
  return function (this: unknown, ...a: unknown[]) {
    if (a[arrayArg] === raw) a[arrayArg] = proxy;
    return Reflect.apply(cb, this, a);
  };
}

/**
 * An iterator over a raw Map/Set iterator that maps each value (to tracking
 * proxies or views). When a rollback puts entries back into the collection
 * while it runs (they go to the end, see reinsertion.ts), it takes up its
 * place again: at the first entry of the collection, now in its old order,
 * whose key it has not given yet. Without that, a loop whose body calls a
 * failing `@abortOnException` method that deletes entries met them again,
 * for ever when it deleted the current one.
 */
export class MappedIterator implements IterableIterator<unknown> {
  // Private for real (#): the caller holds this iterator, and the raw one
  // yields raw state objects.
  #inner: Iterator<unknown>;
  readonly #map: (value: unknown) => unknown;
  readonly #raw: object;
  readonly #open: () => Iterator<unknown>;
  readonly #keyOf: (value: unknown) => unknown;
  /** A view's iterator: refused inside a live action (taken from a view kept in a variable). */
  readonly #ofView: boolean;
  #epoch = putBackEpoch();
  #done = false;
  /** The keys given so far: where to go on from after a rollback. */
  readonly #given: unknown[];
  /** The raw result #findPlace read ahead, given next. */
  #pending: IteratorResult<unknown> | undefined;

  /**
   * Iterates `open()` (a raw iterator of `raw`), giving `map(value)`;
   * `keyOf(value)` is the entry's key (a Set's member), by which the place
   * is found again. `given`: keys given before (forEach's, see memberReader),
   * which the iterator passes over at its start.
   */
  constructor(
    raw: object,
    open: () => Iterator<unknown>,
    keyOf: (value: unknown) => unknown,
    map: (value: unknown) => unknown,
    ofView = false,
    given?: unknown[],
  ) {
    this.#ofView = ofView;
    this.#raw = raw;
    this.#open = open;
    this.#keyOf = keyOf;
    this.#map = map;
    this.#inner = open();
    this.#given = given ?? [];
    if (given !== undefined) this.#pending = firstNotGiven(this.#inner, given, keyOf);
  }

  next(): IteratorResult<unknown> {
    if (this.#ofView) refuseViewInAction('iterating over');
    if (this.#done) return { done: true, value: undefined };
    if (this.#epoch !== putBackEpoch()) this.#findPlace();
    const r = this.#pending ?? this.#inner.next();
    this.#pending = undefined;
    if (r.done) {
      this.#done = true;
      return r;
    }
    appendOwn(this.#given, this.#keyOf(r.value));
    return { done: false, value: this.#map(r.value) };
  }

  [Symbol.iterator](): IterableIterator<unknown> {
    return this;
  }

  /**
   * After a rollback put entries back into the collection: a new raw
   * iterator at the first entry whose key was not given. The entries before
   * it in the restored order were all given (a native iterator passes none,
   * and entries added since go to the end), so this is where a native
   * iterator would be had the rollback moved nothing; but a key given, then
   * deleted and set again before the rollback, counts as given (README).
   */
  #findPlace(): void {
    const since = this.#epoch;
    this.#epoch = putBackEpoch();
    if (!putBackSince(this.#raw, since)) return;
    this.#inner = this.#open();
    this.#pending = firstNotGiven(this.#inner, this.#given, this.#keyOf);
  }
}

/** Reads `it` past the entries whose keys are in `given`; returns the first other result (or the end). */
function firstNotGiven(
  it: Iterator<unknown>,
  given: unknown[],
  keyOf: (value: unknown) => unknown,
): IteratorResult<unknown> {
  // A Set matches keys as a Map does (SameValueZero).
  const seen = new Set(given);
  for (;;) {
    const r = it.next();
    if (r.done || !seen.has(keyOf(r.value))) return r;
  }
}

// The built-ins' own: a collection may have its own `entries` or `forEach`
// (an override, or one an action defined), and the program may have replaced
// Map.prototype.get since, neither of which must run on the raw state.
const mapGet = Map.prototype.get as (this: object, key: unknown) => unknown;
const mapEntries = Map.prototype.entries as (this: object) => Iterator<unknown>;
const setEntries = Set.prototype.entries as (this: object) => Iterator<unknown>;
const mapForEach = Map.prototype.forEach as (
  this: object,
  cb: (v: unknown, k: unknown) => void,
) => void;
const setForEach = Set.prototype.forEach as (
  this: object,
  cb: (v: unknown, k: unknown) => void,
) => void;

const entryKey = (e: unknown): unknown => (e as [unknown, unknown])[0];
const itself = (k: unknown): unknown => k;

/** Thrown out of a native forEach to go on through a MappedIterator (see memberReader). */
const RESUME = Symbol('resume after a rollback');

/** The proxy or view of a member found in `parent` (recording where), or a primitive as is. */
export type ChildOf = (parent: object, key: unknown, viaMap: boolean, value: unknown) => unknown;

/** The read methods of a Map or Set that hand out its members. */
export type MemberRead = 'get' | 'forEach' | 'keys' | 'values' | 'entries';

type AnyMap = Map<unknown, unknown>;

/**
 * A wrapper of a Map or Set read method that hands out members, shared by
 * tracking proxies and views: it runs on the raw collection (`rawOf`) and
 * each member comes back through `child` with where it was found (a Map's
 * value by its key; a Set member or a Map key by its membership), so an
 * object reached this way keeps a known path (see locate).
 */
export function memberReader(
  kind: 'map' | 'set',
  read: MemberRead,
  original: Fn,
  rawOf: (self: unknown) => any,
  child: ChildOf,
): Fn {
  const value = (raw: object, k: unknown, v: unknown): unknown =>
    kind === 'map' ? child(raw, k, true, v) : child(raw, IN_COLLECTION, false, v);
  const key = (raw: object, k: unknown): unknown => child(raw, IN_COLLECTION, false, k);
  const ofView = rawOf === viewRaw;
  const entriesOf = kind === 'map' ? mapEntries : setEntries;
  const forEachOf = kind === 'map' ? mapForEach : setForEach;
  /** A MappedIterator over the entries of `raw` (a Set's are [member, member]), giving `give(key, value)`. */
  const entryIterator = (
    raw: object,
    give: (k: unknown, v: unknown) => unknown,
    given?: unknown[],
  ): MappedIterator =>
    new MappedIterator(
      raw,
      () => entriesOf.call(raw),
      entryKey,
      (e) => {
        const [k, v] = e as [unknown, unknown];
        return give(k, v);
      },
      ofView,
      given,
    );
  switch (read) {
    case 'get':
      return function (this: unknown, k: unknown) {
        const raw = rawOf(this) as AnyMap;
        const rawKey = argToRaw(k);
        return child(raw, rawKey, true, mapGet.call(raw, rawKey));
      };
    case 'forEach':
      return function (this: unknown, cb: unknown, thisArg?: unknown) {
        const raw = rawOf(this) as object;
        if (typeof cb !== 'function') return forEachOf.call(raw, cb as never); // its own TypeError
        const fn = cb as Fn;
        const visit = (k: unknown, v: unknown): unknown =>
          fn.call(thisArg, value(raw, k, v), key(raw, k), this);
        // The native forEach, until a rollback puts entries back into the
        // collection (see MappedIterator); then on from where it was.
        const given: unknown[] = [];
        const epoch = putBackEpoch();
        try {
          forEachOf.call(raw, (v, k) => {
            appendOwn(given, k);
            visit(k, v);
            if (putBackEpoch() !== epoch && putBackSince(raw, epoch)) throw RESUME;
          });
          return;
        } catch (err) {
          if (err !== RESUME) throw err;
        }
        const rest = entryIterator(raw, visit, given);
        while (!rest.next().done);
      };
    case 'keys':
      return function (this: unknown) {
        const raw = rawOf(this) as AnyMap;
        const open = (): Iterator<unknown> => original.call(raw) as Iterator<unknown>;
        return new MappedIterator(raw, open, itself, (k) => key(raw, k), ofView);
      };
    case 'values':
      return function (this: unknown) {
        const raw = rawOf(this) as AnyMap;
        return entryIterator(raw, (k, v) => value(raw, k, v));
      };
    case 'entries':
      return function (this: unknown) {
        const raw = rawOf(this) as AnyMap;
        return entryIterator(raw, (k, v) => [key(raw, k), value(raw, k, v)]);
      };
  }
}

/**
 * A Set method that takes another set-like (`union`, `isSubsetOf`, …,
 * native from Node 22), run on the raw Set (`rawOf`) as if its members were
 * what plain code meets (views, or tracking proxies: `member` makes them,
 * recording where they were found): the built-in calls the other's `has`
 * with the receiver's members, which must not be the raw state objects, and
 * what the other's `keys()` yields (a view, a tracking proxy) is matched as
 * the state object it stands for. `out` wraps the result (a new Set holding
 * raw members).
 */
export function setOperation(
  original: Fn,
  rawOf: (self: unknown) => any,
  member: (raw: object, value: unknown) => unknown,
  out: (result: unknown, raw: object) => unknown,
): Fn {
  return function (this: unknown, other: unknown) {
    const raw = rawOf(this) as object;
    return out(original.call(raw, setRecord(raw, other, member)), raw);
  };
}

/**
 * What the built-in reads of `other` (size, has, keys, each once and in
 * that order, as it reads them), with `has` handed members through
 * `member` and `keys()` giving raw objects for proxies. Not an object: as
 * it is, for the built-in's own TypeError.
 */
function setRecord(
  raw: object,
  other: unknown,
  member: (raw: object, value: unknown) => unknown,
): unknown {
  if ((typeof other !== 'object' || other === null) && typeof other !== 'function') return other;
  const o = other as { size: unknown; has: unknown; keys: unknown };
  return {
    get size() {
      return o.size;
    },
    get has() {
      const has = o.has;
      if (typeof has !== 'function') return has;
      return (value: unknown) => Reflect.apply(has, o, [member(raw, value)]);
    },
    get keys() {
      const keys = o.keys;
      if (typeof keys !== 'function') return keys;
      return () => {
        const it: unknown = Reflect.apply(keys, o, []);
        return typeof it === 'object' && it !== null ? rawKeys(it) : it;
      };
    },
  };
}

/**
 * %IteratorPrototype%, which the built-ins' iterators inherit from: the
 * iterators views and tracking proxies hand out inherit from it too, so its
 * helpers (`map`, `filter`, `toArray`, … from Node 22) work on them as on a
 * Map's or an array's own, giving views.
 */
export const ITERATOR_PROTOTYPE = Object.getPrototypeOf(
  Object.getPrototypeOf([][Symbol.iterator]()) as object,
) as object;
Object.setPrototypeOf(MappedIterator.prototype, ITERATOR_PROTOTYPE);

/** The iterator `it` (of the other set-like's keys()), giving the raw object of each proxy it yields. */
function rawKeys(it: object): object {
  const next = (it as { next: unknown }).next;
  return {
    next:
      typeof next !== 'function'
        ? next
        : () => {
            const r: unknown = Reflect.apply(next, it, []);
            if (typeof r !== 'object' || r === null) return r; // the built-in's TypeError
            if ((r as IteratorResult<unknown>).done) return { done: true, value: undefined };
            return { done: false, value: argToRaw((r as IteratorResult<unknown>).value) };
          },
    // Read when the built-in stops early (isSubsetOf meeting a key it lacks, …).
    get return() {
      const close = (it as { return?: unknown }).return;
      if (typeof close !== 'function') return close;
      return () => Reflect.apply(close, it, []);
    },
  };
}
