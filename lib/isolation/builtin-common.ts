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
  constructor(
    private readonly inner: Iterator<unknown>,
    private readonly map: (value: unknown) => unknown,
  ) {}

  next(): IteratorResult<unknown> {
    const r = this.inner.next();
    return r.done ? r : { done: false, value: this.map(r.value) };
  }

  [Symbol.iterator](): IterableIterator<unknown> {
    return this;
  }
}
