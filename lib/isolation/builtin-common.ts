import { IN_COLLECTION } from './paths';
import { toRaw, trackingToRaw, viewTarget } from './registry';

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

/** An iterator over a raw Map/Set iterator that maps each value (to tracking proxies or views). */
export class MappedIterator implements IterableIterator<unknown> {
  // Private for real (#): the caller holds this iterator, and the raw one
  // yields raw state objects.
  readonly #inner: Iterator<unknown>;
  readonly #map: (value: unknown) => unknown;

  constructor(inner: Iterator<unknown>, map: (value: unknown) => unknown) {
    this.#inner = inner;
    this.#map = map;
  }

  next(): IteratorResult<unknown> {
    const r = this.#inner.next();
    return r.done ? r : { done: false, value: this.#map(r.value) };
  }

  [Symbol.iterator](): IterableIterator<unknown> {
    return this;
  }
}

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
        const fn = cb as Fn;
        raw.forEach((v, k) => fn.call(thisArg, value(raw, k, v), key(raw, k), this));
      };
    case 'keys':
      return function (this: unknown) {
        const raw = rawOf(this) as AnyMap;
        return new MappedIterator(original.call(raw) as Iterator<unknown>, (k) => key(raw, k));
      };
    case 'values':
      return function (this: unknown) {
        const raw = rawOf(this) as AnyMap;
        return new MappedIterator(raw.entries(), (e) => {
          const [k, v] = e as [unknown, unknown];
          return value(raw, k, v);
        });
      };
    case 'entries':
      return function (this: unknown) {
        const raw = rawOf(this) as AnyMap;
        return new MappedIterator(raw.entries(), (e) => {
          const [k, v] = e as [unknown, unknown];
          return [key(raw, k), value(raw, k, v)];
        });
      };
  }
}
