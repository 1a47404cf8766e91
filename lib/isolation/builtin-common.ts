import { types } from 'node:util';
import { IN_COLLECTION } from './paths';
import { toRaw, trackingToRaw, viewTarget } from './registry';
import { putBackEpoch, putBackSince } from './reinsertion';

/** A function as built-in methods and their wrappers are typed here. */
export type Fn = (...args: unknown[]) => unknown;

/** The raw object behind `self` (a tracking proxy, a view or already raw). */
export function readRaw(self: unknown): any {
  if (typeof self !== 'object' || self === null) return self;
  return trackingToRaw.get(self) ?? viewTarget(self) ?? self;
}

/** readRaw, looking up views first (the common case in view wrappers). */
export function viewRaw(self: unknown): any {
  if (typeof self !== 'object' || self === null) return self;
  return viewTarget(self) ?? trackingToRaw.get(self) ?? self;
}

/** Replaces proxies among the (fresh) argument array by their raw targets, shallowly. */
export function rawArgs(args: unknown[]): unknown[] {
  for (let i = 0; i < args.length; i++) args[i] = toRaw(args[i]);
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
 * place again after the last key it gave, where the collection now holds
 * its entries in their old order; without that, a loop whose body calls a
 * failing `@abortOnException` method that deletes entries meets them again,
 * for ever when it deletes the current one.
 */
export class MappedIterator implements IterableIterator<unknown> {
  // Private for real (#): the caller holds this iterator, and the raw one
  // yields raw state objects.
  #inner: Iterator<unknown>;
  readonly #map: (value: unknown) => unknown;
  readonly #raw: object;
  readonly #open: () => Iterator<unknown>;
  readonly #keyOf: (value: unknown) => unknown;
  #epoch = putBackEpoch();
  #done = false;
  /** The keys given so far, in order: where to go on from after a rollback. */
  readonly #given: unknown[] = [];

  /**
   * Iterates `open()` (a raw iterator of `raw`), giving `map(value)`;
   * `keyOf(value)` is the entry's key (a Set's member), by which the place
   * is found again.
   */
  constructor(
    raw: object,
    open: () => Iterator<unknown>,
    keyOf: (value: unknown) => unknown,
    map: (value: unknown) => unknown,
  ) {
    this.#raw = raw;
    this.#open = open;
    this.#keyOf = keyOf;
    this.#map = map;
    this.#inner = open();
  }

  next(): IteratorResult<unknown> {
    if (this.#done) return { done: true, value: undefined };
    if (this.#epoch !== putBackEpoch()) this.#findPlace();
    const r = this.#inner.next();
    if (r.done) {
      this.#done = true;
      return r;
    }
    this.#given.push(this.#keyOf(r.value));
    return { done: false, value: this.#map(r.value) };
  }

  [Symbol.iterator](): IterableIterator<unknown> {
    return this;
  }

  /**
   * After a rollback put entries back into the collection: a new raw
   * iterator, moved past the last key given that the collection still
   * holds (the rollback put its entries back in their old order; the keys
   * given after it were deleted since), or at the start when it holds none.
   */
  #findPlace(): void {
    const since = this.#epoch;
    this.#epoch = putBackEpoch();
    if (!putBackSince(this.#raw, since)) return;
    const given = this.#given;
    const raw = this.#raw;
    const has = types.isMap(raw) ? mapHas : setHas;
    let at = given.length - 1;
    while (at >= 0 && !has.call(raw, given[at])) at--;
    const fresh = this.#open();
    if (at >= 0) {
      const key = given[at];
      for (;;) {
        const r = fresh.next();
        if (r.done || sameValueZero(this.#keyOf(r.value), key)) break;
      }
    }
    this.#inner = fresh;
  }
}

// The built-ins' own: a collection may have an own `has` (see undo-builtins.ts).
const mapHas = Map.prototype.has as (this: object, key: unknown) => boolean;
const setHas = Set.prototype.has as (this: object, key: unknown) => boolean;

/** Key equality as Maps and Sets have it. */
function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

const entryKey = (e: unknown): unknown => (e as [unknown, unknown])[0];

/** A MappedIterator over the entries of `raw` (a Set's are [member, member]), giving `give(key, value)`. */
function entryIterator(
  raw: Map<unknown, unknown>,
  give: (k: unknown, v: unknown) => unknown,
): MappedIterator {
  return new MappedIterator(
    raw,
    () => raw.entries(),
    entryKey,
    (e) => {
      const [k, v] = e as [unknown, unknown];
      return give(k, v);
    },
  );
}
const itself = (k: unknown): unknown => k;

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
  switch (read) {
    case 'get':
      return function (this: unknown, k: unknown) {
        const raw = rawOf(this) as AnyMap;
        const rawKey = toRaw(k);
        return child(raw, rawKey, true, raw.get(rawKey));
      };
    case 'forEach':
      return function (this: unknown, cb: unknown, thisArg?: unknown) {
        const raw = rawOf(this) as AnyMap;
        if (typeof cb !== 'function') return raw.forEach(cb as never); // its own TypeError
        const fn = cb as Fn;
        // As Map#forEach visits entries, through an iterator that keeps its place (see MappedIterator).
        const entries = entryIterator(raw, (k, v) =>
          fn.call(thisArg, value(raw, k, v), key(raw, k), this),
        );
        while (!entries.next().done);
      };
    case 'keys':
      return function (this: unknown) {
        const raw = rawOf(this) as AnyMap;
        const open = (): Iterator<unknown> => original.call(raw) as Iterator<unknown>;
        return new MappedIterator(raw, open, itself, (k) => key(raw, k));
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
