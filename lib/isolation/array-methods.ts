import { ITERATOR_PROTOTYPE, argToRaw, readRaw, type Fn } from './builtin-common';

/** Wraps element `index` (value `value`) of the raw array `raw` for the caller. */
export type ElementWrapper = (raw: unknown[], index: number, value: unknown) => unknown;

type Callback = (this: unknown, ...args: any[]) => unknown;

const withCallback = ['forEach', 'map', 'flatMap', 'some', 'every', 'findIndex', 'findLastIndex'];
const returningElements = ['find', 'findLast', 'filter'];
const searches = ['includes', 'indexOf', 'lastIndexOf'];

/** The Array.prototype methods that change the array they are called on. */
export const ARRAY_MUTATORS: readonly string[] = [
  'copyWithin',
  'fill',
  'pop',
  'push',
  'reverse',
  'shift',
  'sort',
  'splice',
  'unshift',
];

/**
 * Fast paths for the read-only Array.prototype methods on a proxied array.
 * Run on the proxy, each would go through the get trap once per element,
 * with the index turned into a string; these run the built-in on the raw
 * array instead, with a callback that gets the wrapped element and the
 * proxy as its array argument. Mutators are not here: they must go through
 * the traps. Keyed by the original function, so an override in a subclass
 * is left alone.
 */
export function arrayFastPaths(wrapElement: ElementWrapper): Map<unknown, Fn> {
  const proto = Array.prototype as unknown as Record<PropertyKey, Fn>;
  const paths = new Map<unknown, Fn>();
  const add = (name: PropertyKey, make: (original: Fn) => Callback) => {
    paths.set(proto[name], make(proto[name]!) as Fn);
  };
  for (const name of withCallback) {
    add(
      name,
      (original) =>
        function (cb, thisArg) {
          if (typeof cb !== 'function') return original.call(this, cb, thisArg);
          const raw = readRaw(this) as unknown[];
          return original.call(raw, (value: unknown, i: number) =>
            Reflect.apply(cb, thisArg, [wrapElement(raw, i, value), i, this]),
          );
        },
    );
  }
  for (const name of returningElements) {
    add(
      name,
      (original) =>
        function (cb, thisArg) {
          if (typeof cb !== 'function') return original.call(this, cb, thisArg);
          const raw = readRaw(this) as unknown[];
          // The built-in returns raw elements: hand back the wrapped ones the callback accepted.
          const kept: unknown[] = [];
          const result = original.call(raw, (value: unknown, i: number) => {
            const wrapped = wrapElement(raw, i, value);
            const ok: unknown = Reflect.apply(cb, thisArg, [wrapped, i, this]);
            if (ok) kept.push(wrapped);
            return ok;
          });
          if (name !== 'filter') return kept[0];
          for (let j = 0; j < kept.length; j++) (result as unknown[])[j] = kept[j];
          return result;
        },
    );
  }
  for (const name of ['reduce', 'reduceRight']) {
    add(
      name,
      (original) =>
        function (cb, ...initial) {
          // Without an initial value the first element would start as a raw accumulator.
          if (typeof cb !== 'function' || initial.length === 0)
            return original.call(this, cb, ...initial);
          const raw = readRaw(this) as unknown[];
          const step = (acc: unknown, value: unknown, i: number) =>
            cb(acc, wrapElement(raw, i, value), i, this);
          return original.call(raw, step, initial[0]);
        },
    );
  }
  for (const name of searches) {
    add(
      name,
      (original) =>
        function (search, ...rest) {
          return original.call(readRaw(this), argToRaw(search), ...rest);
        },
    );
  }
  const iterate = (entries: boolean) =>
    function (this: unknown) {
      return new ElementIterator(readRaw(this) as unknown[], entries, wrapElement);
    };
  paths.set(proto['values'], iterate(false));
  paths.set(proto['entries'], iterate(true));
  return paths;
}

/** Array iterator over the raw array (length read at each step, holes as undefined), yielding wrapped elements. */
class ElementIterator implements IterableIterator<unknown> {
  // Private for real (#): the caller holds this iterator.
  #raw: unknown[] | undefined;
  #index = 0;
  readonly #entries: boolean;
  readonly #wrapElement: ElementWrapper;

  constructor(raw: unknown[], entries: boolean, wrapElement: ElementWrapper) {
    this.#raw = raw;
    this.#entries = entries;
    this.#wrapElement = wrapElement;
  }

  next(): IteratorResult<unknown> {
    const raw = this.#raw;
    if (raw === undefined || this.#index >= raw.length) {
      this.#raw = undefined;
      return { done: true, value: undefined };
    }
    const i = this.#index++;
    const value = this.#wrapElement(raw, i, raw[i]);
    return { done: false, value: this.#entries ? [i, value] : value };
  }

  [Symbol.iterator](): IterableIterator<unknown> {
    return this;
  }
}
// Inherits %IteratorPrototype%, as an array's own iterator does (see ITERATOR_PROTOTYPE).
Object.setPrototypeOf(ElementIterator.prototype, ITERATOR_PROTOTYPE);
